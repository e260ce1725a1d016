import Commands
import Foundation
import SpoolKit
import SpoolLayout

/// The options every stage program shares.
///
/// `--spool DIR` (or `WM_SPOOL`), `--config FILE`, `--once` (default) or `--watch [--interval S]`,
/// `--batch N`, `--log-format text|json`, `-v`, `--help`, and `--dry-run` where the program honours it.
/// Stage-specific options are declared by the program (`CommandOption`s) and collected in `extra`;
/// every value is checked by `CommandSpec.parse` before a stage runs.
public struct StageOptions: Sendable {
    /// The spool root.
    public var spoolPath: String
    /// An explicit configuration file, if given.
    public var configPath: String?
    /// Keep running (`--watch`) instead of draining once.
    public var watch = false
    /// Seconds between cycles in watch mode.
    public var interval: Double = 5
    /// Documents per batch (group commit).
    public var batchSize = 500
    /// Report what would change without changing it.
    public var dryRun = false
    /// Log line format.
    public var logFormat: Logger.Format = .text
    /// Debug logging.
    public var verbose = false
    /// Stage-specific options by name (without dashes), already checked; flags map to "".
    public var extra: [String: String] = [:]
    /// Positional arguments.
    public var positional: [String] = []

    /// Options with the spool from `WM_SPOOL` or `./spool`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        spoolPath = ProgramInputs.defaultSpoolPath(environment: environment)
    }

    /// The options every stage program and `wmagent run` share.
    public static let common: [CommandOption] = [
        CommandOption("spool", .text("DIR"), help: "the spool (default: $WM_SPOOL, else ./spool); it must exist (wmagent init makes one)"),
        CommandOption("config", .text("FILE"), help: "agent configuration (default: <spool>/etc/agent.json); missing or malformed is an error"),
        .flag("once", help: "drain what is there, then exit (default)"),
        .flag("watch", help: "keep running; --interval S between cycles"),
        CommandOption("interval", .number(0.01...86_400), help: "seconds between cycles with --watch (default 5)"),
        CommandOption("batch", .integer(1...100_000), help: "documents per batch / durable commit (default 500)"),
        CommandOption("log-format", .choice(["text", "json"]), help: "log lines as key=value text (default) or json"),
        .flag("verbose", short: "v", help: "debug logging"),
    ]

    /// The spec of a stage program: the common options, the stage's own, and whether it honours `--dry-run`.
    public static func spec(program: String, summary: String, example: String, extras: [CommandOption] = [],
                            arguments: String = "", positional: ClosedRange<Int> = 0...0, dryRun: CommandSpec.DryRun = .refused) -> CommandSpec {
        CommandSpec(program, arguments: arguments, summary: summary, options: common + extras, positional: positional, dryRun: dryRun,
                    notes: ["Exit codes: 0 ok, 64 usage, 65 bad data (e.g. a malformed configuration), 66 no spool or no configuration,",
                            "73 can't create, 75 lock held (try again).", "", "Example:", "  " + example])
    }

    /// Options from a parsed command line (`--spool` falls back to `WM_SPOOL`, then `./spool`).
    public init(_ parsed: ParsedCommand, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(environment: environment)
        if let spool = parsed.text("spool") { spoolPath = spool }
        configPath = parsed.text("config")
        watch = parsed.flag("watch")
        interval = parsed.number("interval") ?? interval
        batchSize = parsed.integer("batch") ?? batchSize
        dryRun = parsed.dryRun
        logFormat = parsed.text("log-format").flatMap(Logger.Format.init(rawValue:)) ?? logFormat
        verbose = parsed.flag("verbose")
        let shared = Set(Self.common.map(\.name) + ["dry-run"])
        for (name, values) in parsed.values where !shared.contains(name) { extra[name] = values.last ?? "" }
        positional = parsed.positional
    }

    /// Parses a stage program's command line (without the program name) with its spec.
    ///
    /// - Throws: `CommandFailure(.usage, …)` for anything the spec refuses, or `--once` with `--watch`;
    ///   `CommandFailure(.ok, help)` for `--help`.
    public static func parse(_ arguments: [String], spec: CommandSpec,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StageOptions {
        let parsed = try spec.parse(arguments)
        if parsed.flag("once") && parsed.flag("watch") {
            throw CommandFailure(.usage, "\(spec.command): --once and --watch contradict each other (see \(spec.command) --help)")
        }
        return StageOptions(parsed, environment: environment)
    }
}
