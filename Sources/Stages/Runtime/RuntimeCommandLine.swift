import Foundation
import Glibc

/// The tiny command lines of `wm-runjob` and `wm-cmsrun`: `--name value` pairs, all required.
public enum RuntimeCommandLine {
    /// The values of `names` in `arguments` (without the program name).
    /// - Throws: `CommandFailure` with `usage` (64) naming the missing, unknown or repeated option.
    public static func parse(_ arguments: [String], names: [String], usage: String) throws -> [String: String] {
        var values: [String: String] = [:]
        var rest = arguments[...]
        while let option = rest.popFirst() {
            if option == "-h" || option == "--help" { throw CommandFailure(.usage, usage) }
            let name = option.hasPrefix("--") ? String(option.dropFirst(2)) : ""
            guard names.contains(name) else { throw CommandFailure(.usage, "unknown option '\(option)'\n" + usage) }
            guard values[name] == nil else { throw CommandFailure(.usage, "option --\(name) given twice\n" + usage) }
            guard let value = rest.popFirst() else { throw CommandFailure(.usage, "option --\(name) needs a value\n" + usage) }
            values[name] = value
        }
        for name in names where values[name] == nil {
            throw CommandFailure(.usage, "missing option --\(name)\n" + usage)
        }
        return values
    }

    /// Prints a failure to standard error and exits with its code.
    public static func exit(with failure: CommandFailure) -> Never {
        FileHandle.standardError.write(Data((failure.message + "\n").utf8))
        Glibc.exit(failure.code.rawValue)
    }

    /// The absolute path of a program installed beside the running one (via `/proc/self/exe`).
    public static func sibling(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
