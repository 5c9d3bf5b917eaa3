import FoundationEssentials
import ArgumentParser
import Composition
import Logging

/// Shared start-up of every subcommand: settings, then the runtime, with one-line errors.
enum Startup {
    /// EX_CONFIG from sysexits.h: the configuration is wrong, retrying won't help.
    static let configurationExitCode: Int32 = 78

    static func environment() -> [String: String] {
        let environment = EnvironmentSource.load()
        if let level = environment["TRAKT_WIDGET_LOG_LEVEL"] {
            Logger.shared.minimumLevel = switch level.lowercased() {
            case "debug": .debug
            case "warning": .warning
            case "error": .error
            default: .info
            }
        }
        return environment
    }

    static func configuration(_ environment: [String: String]) throws -> Configuration {
        do {
            return try Configuration(environment: environment)
        } catch {
            Logger.shared.error("invalid configuration: \(error)")
            throw ExitCode(configurationExitCode)
        }
    }

    static func runtime(_ configuration: Configuration) throws -> Runtime {
        do {
            return try Runtime(configuration: configuration)
        } catch {
            Logger.shared.error("cannot start: \(error)")
            throw ExitCode.failure
        }
    }
}
