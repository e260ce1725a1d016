import Foundation

/// One option a command accepts: a flag, or an option with a value of a checked kind.
public struct CommandOption: Sendable {
    /// What an option's value must be; checked when the command line is parsed.
    public enum Value: Sendable {
        /// A flag: no value.
        case none
        /// Any text; the placeholder shown in the help (e.g. `DIR`).
        case text(String)
        /// One of these words.
        case choice([String])
        /// A whole number in the range.
        case integer(ClosedRange<Int>)
        /// A finite number (seconds, a fraction) in the range.
        case number(ClosedRange<Double>)
    }

    /// The long name, without dashes (`spool` for `--spool`).
    public var name: String
    /// A one-letter alias, without the dash (`v` for `-v`), if any.
    public var short: Character?
    /// What the value must be.
    public var value: Value
    /// True when the option may be given more than once (e.g. `--set`); otherwise a repeat is a usage error.
    public var repeatable: Bool
    /// One line of help.
    public var help: String

    /// Makes a declaration.
    public init(_ name: String, short: Character? = nil, _ value: Value, repeatable: Bool = false, help: String) {
        self.name = name
        self.short = short
        self.value = value
        self.repeatable = repeatable
        self.help = help
    }

    /// A flag (an option without a value).
    public static func flag(_ name: String, short: Character? = nil, help: String) -> CommandOption {
        CommandOption(name, short: short, .none, help: help)
    }

    /// The option as the help shows it, e.g. `--batch N`.
    var synopsis: String {
        let dashed = (short.map { "-\($0), " } ?? "") + "--" + name
        switch value {
        case .none: return dashed
        case .text(let placeholder): return dashed + " " + placeholder
        case .choice(let words): return dashed + " " + words.joined(separator: "|")
        case .integer: return dashed + " N"
        case .number: return dashed + " X"
        }
    }

    /// Checks `text` as this option's value; returns why it is not acceptable, or nil.
    func problem(with text: String) -> String? {
        switch value {
        case .none, .text: return nil
        case .choice(let words):
            return words.contains(text) ? nil : "is one of \(words.joined(separator: ", ")), got '\(text)'"
        case .integer(let range):
            guard let n = Int(text), range.contains(n) else { return "takes a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'" }
            return nil
        case .number(let range):
            guard let x = Double(text), x.isFinite, range.contains(x) else {
                return "takes a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound)), got '\(text)'"
            }
            return nil
        }
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}

/// A command's declaration: its options, how many positional arguments it takes, and whether it changes
/// anything (then it may accept `--dry-run`). One spec per program or verb; `parse` is the only argument loop.
///
/// Parsing is strict: an unknown option, a value that does not parse or is out of range, a flag given a
/// value, a repeated option, or the wrong number of arguments is a `CommandFailure(.usage, …)` (exit 64)
/// before anything is done. `--opt value` and `--opt=value` are the same; `--` ends the options;
/// `-h`/`--help` anywhere throws `CommandFailure(.ok, help)`.
public struct CommandSpec: Sendable {
    /// What `--dry-run` means for the command.
    public enum DryRun: Sendable {
        /// The command changes nothing: `--dry-run` is refused (it would mean nothing).
        case readOnly
        /// The command changes things and honours `--dry-run`: it prints what it would do and changes nothing.
        case supported
        /// The command changes things and has no dry run: `--dry-run` is refused, so nothing happens by surprise.
        case refused
    }

    /// The command as typed, e.g. `wmctl job kill`.
    public var command: String
    /// The arguments after the command in the usage line, e.g. `ID... | - | ALL`.
    public var arguments: String
    /// One line saying what the command does.
    public var summary: String
    /// The options (`--dry-run` is added when `dryRun` is `.supported`).
    public var options: [CommandOption]
    /// How many positional arguments it takes.
    public var positional: ClosedRange<Int>
    /// What `--dry-run` means for it.
    public var dryRun: DryRun
    /// Further lines of help (examples, defaults, exit codes).
    public var notes: [String]

    /// Makes a spec.
    public init(_ command: String, arguments: String = "", summary: String, options: [CommandOption] = [],
                positional: ClosedRange<Int> = 0...0, dryRun: DryRun = .readOnly, notes: [String] = []) {
        self.command = command
        self.arguments = arguments
        self.summary = summary
        self.options = options
        self.positional = positional
        self.dryRun = dryRun
        self.notes = notes
    }

    /// The `--dry-run` option that `.supported` commands accept.
    static let dryRunOption = CommandOption.flag("dry-run", short: "n", help: "print what would change; change nothing")

    /// Every option the command accepts, `--help` and (when supported) `--dry-run` included.
    public var allOptions: [CommandOption] {
        options + (dryRun == .supported ? [Self.dryRunOption] : [])
            + [.flag("help", short: "h", help: "this text")]
    }

    /// The usage line.
    public var usage: String {
        "usage: \(command)" + (arguments.isEmpty ? "" : " " + arguments) + (allOptions.count > 1 ? " [options]" : "")
    }

    /// The help text: summary, usage, every option with its help, the notes.
    public var help: String {
        var lines = ["\(command) — \(summary)", "", usage, "", "Options:"]
        for option in allOptions {
            let left = "  " + option.synopsis
            lines.append(left.count < 30 ? left.padding(toLength: 30, withPad: " ", startingAt: 0) + option.help
                                         : left + "\n" + String(repeating: " ", count: 30) + option.help)
        }
        if !notes.isEmpty { lines += [""] + notes }
        return lines.joined(separator: "\n")
    }

    /// Parses `arguments` (what follows the command words).
    ///
    /// - Throws: `CommandFailure(.usage, …)` naming the option and what is allowed; `CommandFailure(.ok, help)`
    ///   for `-h`/`--help`.
    public func parse(_ arguments: [String]) throws -> ParsedCommand {
        let all = allOptions
        var parsed = ParsedCommand()
        var index = 0
        var optionsEnded = false
        func fail(_ message: String) -> CommandFailure { CommandFailure(.usage, "\(command): \(message) (see \(command) --help)") }
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                parsed.positional.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            // `--name`, `--name=value` or `-x`.
            var name: String
            var attached: String?
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                if let equals = body.firstIndex(of: "=") {
                    name = String(body[..<equals])
                    attached = String(body[body.index(after: equals)...])
                } else {
                    name = String(body)
                }
            } else {
                guard argument.count == 2, let letter = argument.last, let option = all.first(where: { $0.short == letter }) else {
                    throw fail("unknown option '\(argument)'")
                }
                name = option.name
            }
            guard let option = all.first(where: { $0.name == name }) else {
                if name == "dry-run" {
                    throw fail(dryRun == .readOnly ? "--dry-run does not apply: this command changes nothing"
                                                   : "--dry-run is not supported: this command has no dry run, so nothing was done")
                }
                throw fail("unknown option '--\(name)'")
            }
            if name == "help" {
                guard attached == nil else { throw fail("--help takes no value") }
                throw CommandFailure(.ok, help)
            }
            let value: String
            if case .none = option.value {
                guard attached == nil else { throw fail("--\(name) takes no value, got '\(argument)'") }
                value = ""
            } else if let attached {
                value = attached
            } else {
                guard index < arguments.count else { throw fail("--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            if let problem = option.problem(with: value) { throw fail("--\(name) \(problem)") }
            if !option.repeatable && parsed.values[name] != nil { throw fail("--\(name) given twice") }
            parsed.values[name, default: []].append(value)
        }
        guard positional.contains(parsed.positional.count) else {
            let expected = positional.lowerBound == positional.upperBound ? "\(positional.lowerBound)"
                : positional.upperBound == Int.max ? "at least \(positional.lowerBound)" : "\(positional.lowerBound) to \(positional.upperBound)"
            let given = parsed.positional.isEmpty ? "none" : parsed.positional.map { "'\($0)'" }.joined(separator: " ")
            throw fail("takes \(expected) argument(s)" + (arguments.isEmpty ? "" : " (\(self.arguments))") + ", got \(given)")
        }
        return parsed
    }
}

/// A parsed command line: positional arguments and option values, already checked against the spec.
public struct ParsedCommand: Sendable {
    /// Positional arguments, in order.
    public var positional: [String] = []
    /// Every value given per option name (flags have one empty value per use).
    public var values: [String: [String]] = [:]

    /// Makes an empty result (a spec's `parse` fills it).
    public init() {}

    /// True when the flag was given.
    public func flag(_ name: String) -> Bool { values[name] != nil }
    /// The option's value, if given.
    public func text(_ name: String) -> String? { values[name]?.last }
    /// Every value of a repeatable option, in order.
    public func texts(_ name: String) -> [String] { values[name] ?? [] }
    /// The value of an `.integer` option (already range-checked), if given.
    public func integer(_ name: String) -> Int? { text(name).flatMap { Int($0) } }
    /// The value of a `.number` option (already range-checked), if given.
    public func number(_ name: String) -> Double? { text(name).flatMap { Double($0) } }
    /// True when `--dry-run` was given (only `.supported` commands accept it).
    public var dryRun: Bool { flag("dry-run") }
}
