import Foundation
import Glibc

/// The tiny command lines of `wm-runjob` and `wm-cmsrun`: `--name value` pairs, all required.
public enum RuntimeCommandLine {
    /// The values of `names` in `arguments` (without the program name), parsed by `CommandSpec`.
    /// - Throws: `CommandFailure` with `usage` (64) naming the missing, unknown or repeated option; `.ok`
    ///   with the usage for `--help`.
    public static func parse(_ arguments: [String], names: [String], usage: String) throws -> [String: String] {
        let program = usage.split(separator: " ").dropFirst().first.map(String.init) ?? "program"
        let spec = CommandSpec(program, summary: "see below", options: names.map { CommandOption($0, .text("VALUE"), help: "required") },
                               notes: [usage])
        let parsed = try spec.parse(arguments)
        var values: [String: String] = [:]
        for name in names {
            guard let value = parsed.text(name) else { throw CommandFailure(.usage, "missing option --\(name)\n" + usage) }
            values[name] = value
        }
        return values
    }

    /// Prints a failure to standard error and exits with its code.
    public static func exit(with failure: CommandFailure) -> Never {
        (failure.code == .ok ? FileHandle.standardOutput : FileHandle.standardError).write(Data((failure.message + "\n").utf8))
        Glibc.exit(failure.code.rawValue)
    }

    /// The absolute path of a program installed beside the running one (via `/proc/self/exe`).
    public static func sibling(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
