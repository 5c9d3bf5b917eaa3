import CurlClient
import FoundationEssentials
import TraktWidgetCore

/// Trakt's OAuth endpoints on the auth host: refresh, code exchange, device flow and revoke.
public struct OAuthClient: Sendable {
    public let settings: TraktSettings
    private let http: HTTPClient

    public init(settings: TraktSettings, http: HTTPClient) {
        self.settings = settings
        self.http = http
    }

    /// Spends `refreshToken` (single-use at Trakt) for a new pair. `redirect_uri` must match the one the
    /// app was authorized with, or Trakt rejects the refresh.
    public func refresh(_ refreshToken: String) -> Result<OAuthGrant, UpstreamFailure> {
        token(grantType: "refresh_token", credential: ("refresh_token", refreshToken))
    }

    /// Exchanges an authorization code pasted from the browser (the OOB flow).
    public func exchange(code: String) -> Result<OAuthGrant, UpstreamFailure> {
        token(grantType: "authorization_code", credential: ("code", code))
    }

    public func authorizeURL() -> String {
        "\(settings.authURL)/oauth/authorize?response_type=code&client_id=\(PercentEncoding.encode(settings.clientID))"
            + "&redirect_uri=\(PercentEncoding.encode(settings.redirectURI))"
    }

    public func deviceCode() -> Result<DeviceCode, UpstreamFailure> {
        var json = JSONWriter()
        json.beginObject()
        json.string("client_id", settings.clientID)
        json.endObject()
        let result = http.send(post("/oauth/device/code", json.bytes))
        return TraktAPI.decode(DeviceCode.self, from: result)
    }

    public func pollDeviceToken(_ deviceCode: String) -> DevicePollOutcome {
        var json = JSONWriter()
        json.beginObject()
        json.string("code", deviceCode)
        json.string("client_id", settings.clientID)
        json.string("client_secret", settings.clientSecret)
        json.endObject()
        switch http.send(post("/oauth/device/token", json.bytes)) {
        case .failure(let error):
            return .failed(.transport(error))
        case .success(let response):
            switch response.status {
            case 200:
                guard let grant = try? JSONDecoder().decode(OAuthGrant.self, from: Data(response.body)) else {
                    return .failed(.malformed)
                }
                return .authorized(grant)
            case 400: return .pending
            case 404: return .invalidCode
            case 409: return .alreadyUsed
            case 410: return .expired
            case 418: return .denied
            case 429: return .slowDown
            default: return .failed(.fromTrakt(response))
            }
        }
    }

    public func revoke(_ accessToken: String) -> Result<Void, UpstreamFailure> {
        var json = JSONWriter()
        json.beginObject()
        json.string("token", accessToken)
        json.string("client_id", settings.clientID)
        json.string("client_secret", settings.clientSecret)
        json.endObject()
        switch http.send(post("/oauth/revoke", json.bytes)) {
        case .failure(let error): return .failure(.transport(error))
        case .success(let response) where response.isSuccess: return .success(())
        case .success(let response): return .failure(.fromTrakt(response))
        }
    }

    private func token(grantType: String, credential: (String, String)) -> Result<OAuthGrant, UpstreamFailure> {
        var json = JSONWriter()
        json.beginObject()
        json.string(credential.0, credential.1)
        json.string("client_id", settings.clientID)
        json.string("client_secret", settings.clientSecret)
        json.string("redirect_uri", settings.redirectURI)
        json.string("grant_type", grantType)
        json.endObject()
        var request = post("/oauth/token", json.bytes)
        request.timeout = settings.tokenTimeout
        switch http.send(request) {
        case .failure(let error):
            return .failure(.transport(error))
        case .success(let response) where response.isSuccess:
            guard let grant = try? JSONDecoder().decode(OAuthGrant.self, from: Data(response.body)) else {
                return .failure(.malformed)
            }
            return .success(grant)
        case .success(let response):
            return .failure(Self.classifyTokenError(response))
        }
    }

    /// `invalid_grant` (400 today, 401 in older Doorkeeper answers) means the refresh token is dead.
    static func classifyTokenError(_ response: UpstreamResponse) -> UpstreamFailure {
        struct OAuthError: Decodable { var error: String? }
        if response.status == 400 || response.status == 401,
           let body = try? JSONDecoder().decode(OAuthError.self, from: Data(response.body)),
           body.error == "invalid_grant" {
            return .reauthRequired
        }
        return .fromTrakt(response)
    }

    private func post(_ path: String, _ body: [UInt8]) -> UpstreamRequest {
        UpstreamRequest(
            method: .post, url: settings.authURL + path,
            headers: [("Content-Type", "application/json"), ("trakt-api-version", "2"), ("trakt-api-key", settings.clientID)],
            body: body
        )
    }
}
