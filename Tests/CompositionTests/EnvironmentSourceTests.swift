import Testing
@testable import Composition
import TestSupport

@Suite struct EnvironmentSourceTests {
    @Test func parsesDotenv() {
        let text = """
        # a comment
        export TRAKT_CLIENT_ID=abc123

        TRAKT_USERNAME = someone  \t
          # indented comment
        QUOTED="has # and spaces "
        SINGLE='single quoted'
        MISMATCHED="open'
        LONE="
        EQUALS=a=b=c
        EMPTY=
        not a setting line
        export   SPACED=after-export
        CRLF=windows\r
        LAST=no-newline
        """
        let values = EnvironmentSource.parseDotenv(text)
        #expect(values == [
            "TRAKT_CLIENT_ID": "abc123",
            "TRAKT_USERNAME": "someone",
            "QUOTED": "has # and spaces ",
            "SINGLE": "single quoted",
            "MISMATCHED": "\"open'",
            "LONE": "\"",
            "EQUALS": "a=b=c",
            "EMPTY": "",
            "SPACED": "after-export",
            "CRLF": "windows",
            "LAST": "no-newline",
        ])
    }

    @Test func emptyAndCommentOnlyFiles() {
        #expect(EnvironmentSource.parseDotenv("").isEmpty)
        #expect(EnvironmentSource.parseDotenv("# only\n\n   \n#x=1\n").isEmpty)
    }

    @Test func laterLinesWin() {
        #expect(EnvironmentSource.parseDotenv("A=1\nA=2\n") == ["A": "2"])
    }

    @Test func processOverridesDotenv() throws {
        let directory = TemporaryDirectory()
        try directory.write(".env", "A=from-dotenv\nB=from-dotenv\nTMDB_API_KEY=dotenv-key\n")
        let merged = EnvironmentSource.load(process: ["B": "from-process", "C": "from-process"], dotenvPath: directory.file(".env"))
        #expect(merged == [
            "A": "from-dotenv", "B": "from-process", "C": "from-process", "TMDB_API_KEY": "dotenv-key",
        ])
    }

    @Test func missingDotenvIsFine() {
        let merged = EnvironmentSource.load(process: ["A": "1"], dotenvPath: "/nonexistent/trakt-widget/.env")
        #expect(merged == ["A": "1"])
    }

    @Test func credentialFilesOverrideBoth() throws {
        let directory = TemporaryDirectory()
        try directory.write(".env", "TRAKT_CLIENT_SECRET=dotenv-secret\nTRAKT_REFRESH_TOKEN=dotenv-refresh\n")
        try FileManagerHelper.makeDirectory(directory.file("creds"))
        try directory.write("creds/TRAKT_CLIENT_SECRET", "file-secret\n")
        try directory.write("creds/TMDB_API_KEY", "  file-key \r\n")
        // Only the secret settings are read from credential files.
        try directory.write("creds/TRAKT_CLIENT_ID", "file-client-id")
        let merged = EnvironmentSource.load(
            process: [
                "CREDENTIALS_DIRECTORY": directory.file("creds"),
                "TRAKT_CLIENT_SECRET": "process-secret",
                "TMDB_API_KEY": "process-key",
                "TRAKT_CLIENT_ID": "process-client-id",
            ],
            dotenvPath: directory.file(".env")
        )
        #expect(merged["TRAKT_CLIENT_SECRET"] == "file-secret")
        #expect(merged["TMDB_API_KEY"] == "file-key")
        #expect(merged["TRAKT_REFRESH_TOKEN"] == "dotenv-refresh")
        #expect(merged["TRAKT_CLIENT_ID"] == "process-client-id")
    }

    @Test func emptyValuesAreDropped() throws {
        let directory = TemporaryDirectory()
        try directory.write(".env", "FROM_DOTENV=\nKEPT=x\nCLEARED=dotenv\n")
        let merged = EnvironmentSource.load(process: ["FROM_PROCESS": "", "CLEARED": ""], dotenvPath: directory.file(".env"))
        #expect(merged == ["KEPT": "x"])
    }

    @Test func credentialNamesAreTheSecrets() {
        #expect(Set(EnvironmentSource.credentialNames).isSuperset(of: [
            "TRAKT_CLIENT_SECRET", "TRAKT_REFRESH_TOKEN", "TRAKT_ACCESS_TOKEN", "TMDB_API_KEY", "TMDB_READ_TOKEN",
        ]))
        #expect(!EnvironmentSource.credentialNames.contains("TRAKT_CLIENT_ID"))
    }

    @Test func loadedEnvironmentConfigures() throws {
        let directory = TemporaryDirectory()
        try directory.write(".env", "export TRAKT_CLIENT_ID=\"abc\"\nTRAKT_USERNAME='me'\nCACHE_TTL=120\n")
        let configuration = try Configuration(environment: EnvironmentSource.load(process: [:], dotenvPath: directory.file(".env")))
        #expect(configuration.trakt?.clientID == "abc")
        #expect(configuration.username == "me")
        #expect(configuration.cacheTTL == 120)
    }
}
