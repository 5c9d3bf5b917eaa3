import Testing
@testable import PostgresStore

@Suite struct PostgresErrorTests {
    /// Logs get the generic text; libpq's own words (which tell a wrong password from a missing
    /// database) stay behind debugDescription, with the password redacted.
    @Test func libpqsMessageStaysBehindDebugDescriptionWithThePasswordRedacted() {
        let message = "connection to server at \"db\" failed: FATAL:  password authentication failed for user \"tw\" (password s3cr3t-pw)\n"
        let error = PostgresError.unavailable("connection failed", detail: PostgresError.redacted(message, hiding: "s3cr3t-pw"))
        #expect(error.description == "database unavailable (connection failed)")
        #expect(error.debugDescription.contains("password authentication failed"))
        #expect(!error.debugDescription.contains("s3cr3t-pw"))
        #expect(!error.debugDescription.contains("\n"))
    }

    @Test(arguments: ["57014", "55P03", "08006", "57P01"])
    func timeoutsAndLostConnectionsMeanNotNow(_ state: String) {
        #expect(PostgresError.queryFailed(operation: "x", sqlState: state).isConnectionProblem)
    }

    @Test func aConstraintViolationIsNotAConnectionProblem() {
        #expect(!PostgresError.queryFailed(operation: "x", sqlState: "23505").isConnectionProblem)
    }
}

@Suite struct PGConnectionDefaultsTests {
    /// Every connection is bounded; `DATABASE_URL` comes last (`dbname`, expanded), so what it sets wins.
    @Test func boundsComeFirstAndTheURLOverridesThem() {
        let parameters = PGConnection.defaultParameters(connectTimeout: 3)
        let values = Dictionary(uniqueKeysWithValues: parameters)
        #expect(values["connect_timeout"] == "3")
        #expect(values["keepalives"] == "1")
        #expect(values["tcp_user_timeout"] == "10000")
        for setting in ["statement_timeout=5000", "lock_timeout=5000", "idle_in_transaction_session_timeout=15000"] {
            #expect(values["options"]?.contains("-c \(setting)") == true, "\(setting)")
        }
        #expect(!parameters.map(\.0).contains("dbname"))
        // Bounded below the 20 s a refresh may wait: connecting, then one operation.
        #expect(Double(PGConnectionSlot.connectTimeout) + PGConnectionSlot.operationDeadline < 20)
    }
}
