import ArgumentParser
import Composition

@main
struct TraktWidgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trakt-widget",
        abstract: "Serves the last movie or episode you watched on Trakt, as JSON, over FastCGI.",
        discussion: "Configuration comes from the environment, a .env file in the working directory, and $CREDENTIALS_DIRECTORY. See docs/configuration.md.",
        version: Version.current,
        subcommands: [ServeCommand.self, LastCommand.self, CheckCommand.self, AuthCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
