import FoundationEssentials

/// One answer to `GET /oauth/pin/{user_code}`. Simkl answers 200 whatever the state; the body says
/// which. Not RFC 8628: there is no error code for "denied" or "expired" — a code that is gone
/// (used, expired, or unknown) falls through to a fresh `/oauth/pin` answer with a `device_code`.
public enum SimklPinPoll: Equatable, Sendable {
    case authorized(accessToken: String)
    case pending
    case slowDown
    case codeGone
    case malformed

    private struct Body: Decodable {
        var result: String?
        var message: String?
        var access_token: String?
        var device_code: String?
    }

    public static func parse(_ body: [UInt8]) -> SimklPinPoll {
        guard let answer = try? JSONDecoder().decode(Body.self, from: Data(body)) else { return .malformed }
        if answer.device_code != nil { return .codeGone }
        if answer.result == "OK", let token = answer.access_token, !token.isEmpty { return .authorized(accessToken: token) }
        if answer.result == "KO" { return answer.message?.lowercased().contains("slow") == true ? .slowDown : .pending }
        return .malformed
    }
}
