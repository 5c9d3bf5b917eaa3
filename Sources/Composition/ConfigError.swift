/// An invalid setting: one line naming the variable and what is wrong with it. Never echoes a secret.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var variable: String
    public var problem: String

    public init(_ variable: String, _ problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(variable): \(problem)" }
}
