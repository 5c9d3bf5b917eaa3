/// The one line `systemctl status` shows (sd_notify `STATUS=`), e.g.
/// "serving, cache 42 s old, token valid 3 d".
public enum StatusLine {
    public static func make(_ health: HealthReport, now: Double, problem: String? = nil) -> String {
        var parts = [problem.map { "stuck: \($0)" } ?? (health.canServe ? "serving" : "serving errors")]
        parts.append(health.cacheAge.map { "cache \(duration($0)) old\(health.cacheStale ? " (stale)" : "")" } ?? "cache empty")
        switch health.mode {
        case .public:
            parts.append("public mode")
        case .oauth:
            if let expiresAt = health.tokenExpiresAt, expiresAt > now {
                parts.append("token valid \(duration(expiresAt - now))")
            } else {
                parts.append("token \(health.tokenState)")
            }
        }
        if let code = health.lastErrorCode { parts.append("last error \(code)") }
        return parts.joined(separator: ", ")
    }

    /// Whole seconds, minutes, hours or days, rounded down: "42 s", "5 min", "3 h", "3 d".
    static func duration(_ seconds: Double) -> String {
        let whole = Int(saturating: max(0, seconds))
        switch whole {
        case ..<120: return "\(whole) s"
        case ..<7_200: return "\(whole / 60) min"
        case ..<172_800: return "\(whole / 3_600) h"
        default: return "\(whole / 86_400) d"
        }
    }
}
