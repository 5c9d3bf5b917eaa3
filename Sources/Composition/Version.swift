/// The release version, sent in the User-Agent and printed by `--version`.
public enum Version {
    public static let current = "0.1.0"
}
