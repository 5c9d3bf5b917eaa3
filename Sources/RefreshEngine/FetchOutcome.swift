import TraktWidgetCore

/// How one fetch ended: a complete result, a result missing a part (one history failed; that side keeps
/// its last good item, and the failure still drives the backoff, so a 429's `Retry-After` holds), or
/// nothing.
public enum FetchOutcome: Sendable {
    case complete(CachedResult)
    case partial(CachedResult, RefreshFailure)
    case failed(RefreshFailure)

    /// The failure that left nothing to serve; a partial result is not one.
    public var failure: RefreshFailure? {
        if case .failed(let failure) = self { return failure }
        return nil
    }

    var landing: RefreshLanding {
        switch self {
        case .complete(let result): .success(result)
        case .partial(let result, let failure): .partial(result, failure.refreshError)
        case .failed(let failure): .failure(failure.refreshError)
        }
    }
}
