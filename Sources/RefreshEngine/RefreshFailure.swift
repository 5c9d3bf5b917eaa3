import TokenStorage
import TraktWidgetCore
import UpstreamClients

/// Why a refresh failed: an upstream said no, or the token store failed while a token had to be read or
/// written. Kept apart so health never reports a database error as an upstream one.
public enum RefreshFailure: Error, Equatable, Sendable {
    case upstream(UpstreamFailure)
    /// The store's description (operation and reason, never a value).
    case store(String)

    public static let storeErrorCode = "TOKEN_STORE_ERROR"

    init(_ error: StoreError) {
        self = .store(error.description)
    }

    public var code: String {
        switch self {
        case .upstream(let failure): failure.code
        case .store: Self.storeErrorCode
        }
    }

    public var upstream: UpstreamFailure? {
        if case .upstream(let failure) = self { return failure }
        return nil
    }

    public var retryAfter: Double? { upstream?.retryAfter }

    public var diagnosis: String {
        switch self {
        case .upstream(let failure): failure.diagnosis
        case .store(let reason): "The token store failed: \(reason)."
        }
    }

    /// As the scheduler keeps it.
    var refreshError: RefreshError {
        switch self {
        case .upstream(.reauthRequired): RefreshError(code: code, source: .reauthRequired)
        case .upstream(let failure): RefreshError(code: code, source: .upstream, retryAfter: failure.retryAfter)
        case .store: RefreshError(code: code, source: .store)
        }
    }
}
