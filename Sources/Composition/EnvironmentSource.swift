import FoundationEssentials

/// Assembles settings from, in rising precedence: a `.env` file in the working directory (local runs),
/// the process environment, and `$CREDENTIALS_DIRECTORY/<NAME>` files (systemd `LoadCredential=`).
public enum EnvironmentSource {
    /// The settings that may come from credential files: the secrets.
    public static let credentialNames = [
        "TRAKT_CLIENT_SECRET", "TRAKT_REFRESH_TOKEN", "TRAKT_ACCESS_TOKEN", "TMDB_API_KEY", "TMDB_READ_TOKEN", "DATABASE_URL",
        "SIMKL_ACCESS_TOKEN",
    ]

    public static func load(
        process: [String: String] = ProcessInfo.processInfo.environment, dotenvPath: String = ".env"
    ) -> [String: String] {
        var merged: [String: String] = [:]
        if let text = try? String(contentsOfFile: dotenvPath, encoding: .utf8) {
            merged = parseDotenv(text)
        }
        merged.merge(process) { _, new in new }
        if let directory = process["CREDENTIALS_DIRECTORY"] {
            for name in credentialNames {
                if let value = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) {
                    merged[name] = value.trimmingCharacters(in: " \t\r\n")
                }
            }
        }
        return merged.filter { !$0.value.isEmpty }
    }

    /// `KEY=VALUE` lines; `#` comments, blank lines, an optional `export ` and matching quotes allowed.
    public static func parseDotenv(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = String(rawLine).trimmingCharacters(in: " \t")
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: " \t") }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimmingCharacters(in: " \t")
            var value = String(line[line.index(after: equals)...]).trimmingCharacters(in: " \t")
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }
}
