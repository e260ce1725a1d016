import Foundation
import SpoolKit

/// The options every stage program shares.
///
/// `--spool DIR` (or `WM_SPOOL`), `--config FILE`, `--once` (default) or `--watch [--interval S]`,
/// `--batch N`, `--dry-run`, `--log-format text|json`, `-v`, `--help`. Stage-specific options are
/// declared by the stage and collected in `extra`.
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
    /// Stage-specific options by name (without dashes); flags map to "true".
    public var extra: [String: String] = [:]
    /// Positional arguments.
    public var positional: [String] = []

    /// Options with the spool from `WM_SPOOL` or `./spool`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        spoolPath = environment["WM_SPOOL"].flatMap { $0.isEmpty ? nil : $0 } ?? "spool"
    }

    /// A stage-specific option a program accepts.
    public struct Extra: Sendable {
        /// Name without dashes, e.g. `agent`.
        public var name: String
        /// True when the option takes a value.
        public var takesValue: Bool
        /// One line of help.
        public var help: String
        /// Makes a declaration.
        public init(_ name: String, takesValue: Bool = true, help: String) {
            self.name = name
            self.takesValue = takesValue
            self.help = help
        }
    }

    /// Parses a command line (without the program name).
    ///
    /// - Throws: `CommandFailure(.usage, …)` for unknown options or missing values; `.ok` with the help
    ///   text for `--help`.
    public static func parse(_ arguments: [String], program: String, summary: String, example: String,
                             extras: [Extra] = [], environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StageOptions {
        var options = StageOptions(environment: environment)
        var index = 0
        func value(_ flag: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw CommandFailure(.usage, "\(program): \(flag) needs a value (see --help)") }
            return arguments[index]
        }
        while index < arguments.count {
            let arg = arguments[index]
            switch arg {
            case "--spool": options.spoolPath = try value(arg)
            case "--config": options.configPath = try value(arg)
            case "--once": options.watch = false
            case "--watch": options.watch = true
            case "--interval":
                let v = try value(arg)
                guard let s = Double(v), s > 0 else { throw CommandFailure(.usage, "\(program): --interval takes seconds > 0, got '\(v)'") }
                options.interval = s
            case "--batch":
                let v = try value(arg)
                guard let n = Int(v), n > 0 else { throw CommandFailure(.usage, "\(program): --batch takes a count > 0, got '\(v)'") }
                options.batchSize = n
            case "--dry-run", "-n": options.dryRun = true
            case "--log-format":
                let v = try value(arg)
                guard let f = Logger.Format(rawValue: v) else { throw CommandFailure(.usage, "\(program): --log-format is text or json, got '\(v)'") }
                options.logFormat = f
            case "-v", "--verbose": options.verbose = true
            case "-h", "--help":
                throw CommandFailure(.ok, help(program: program, summary: summary, example: example, extras: extras))
            default:
                if arg.hasPrefix("--"), let extra = extras.first(where: { "--" + $0.name == arg }) {
                    options.extra[extra.name] = extra.takesValue ? try value(arg) : "true"
                } else if arg.hasPrefix("-") && arg != "-" {
                    throw CommandFailure(.usage, "\(program): unknown option '\(arg)' (see --help)")
                } else {
                    options.positional.append(arg)
                }
            }
            index += 1
        }
        return options
    }

    /// The help text.
    public static func help(program: String, summary: String, example: String, extras: [Extra]) -> String {
        var lines = ["\(program) — \(summary)", "", "Usage: \(program) [options]", "", "Options:",
                     "  --spool DIR          spool root (default: $WM_SPOOL, else ./spool)",
                     "  --config FILE        configuration file (default: <spool>/etc/agent.json, else built-in)",
                     "  --once               drain what is there, then exit (default)",
                     "  --watch              keep running; --interval S between cycles (default 5)",
                     "  --batch N            documents per batch / durable commit (default 500)",
                     "  --dry-run            show what would change, change nothing",
                     "  --log-format F       text (key=value, default) or json",
                     "  -v                   debug logging",
                     "  -h, --help           this text"]
        for e in extras {
            let flag = "--" + e.name + (e.takesValue ? " VALUE" : "")
            lines.append("  " + flag.padding(toLength: max(21, flag.count + 1), withPad: " ", startingAt: 0) + e.help)
        }
        lines += ["", "Exit codes: 0 ok, 64 usage, 65 bad data, 73 can't create, 75 lock held (try again).",
                  "", "Example:", "  " + example]
        return lines.joined(separator: "\n")
    }
}
