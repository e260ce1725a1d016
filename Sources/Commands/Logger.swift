import Foundation

/// A small structured logger writing one line per event to standard error.
///
/// Text lines read `time level stage message key=value ...`; JSON lines are one object each.
public final class Logger: @unchecked Sendable {
    /// Output format.
    public enum Format: String, Sendable { case text, json }

    /// The stage or program name stamped on every line.
    public let component: String
    /// Line format.
    public let format: Format
    /// Whether `debug` lines are written.
    public let verbose: Bool
    private let sink: (String) -> Void
    private let lock = NSLock()

    /// Makes a logger; `sink` defaults to standard error.
    public init(component: String, format: Format = .text, verbose: Bool = false,
                sink: ((String) -> Void)? = nil) {
        self.component = component
        self.format = format
        self.verbose = verbose
        self.sink = sink ?? { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// Logs a debug line (only with `-v`).
    public func debug(_ message: String, _ fields: [String: String] = [:]) {
        if verbose { write("debug", message, fields) }
    }
    /// Logs an info line.
    public func info(_ message: String, _ fields: [String: String] = [:]) { write("info", message, fields) }
    /// Logs a warning.
    public func warning(_ message: String, _ fields: [String: String] = [:]) { write("warning", message, fields) }
    /// Logs an error.
    public func error(_ message: String, _ fields: [String: String] = [:]) { write("error", message, fields) }

    private func write(_ level: String, _ message: String, _ fields: [String: String]) {
        let time = Self.timestamp()
        let line: String
        switch format {
        case .json:
            var object = fields
            object["time"] = time
            object["level"] = level
            object["component"] = component
            object["message"] = message
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        case .text:
            var parts = [time, level, component, message]
            for key in fields.keys.sorted() {
                parts.append("\(key)=\(Self.quote(fields[key]!))")
            }
            line = parts.joined(separator: " ")
        }
        lock.lock()
        sink(line)
        lock.unlock()
    }

    private static func quote(_ value: String) -> String {
        if !value.isEmpty && !value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// UTC time with microseconds, e.g. `2026-11-22T11:14:23.123456Z`.
    public static func timestamp(_ time: Double = Date().timeIntervalSince1970) -> String {
        var seconds = time_t(time.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let micros = Int((time - Double(seconds)) * 1e6)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        let usec = String(micros)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: max(0, 6 - usec.count)) + usec + "Z"
    }
}
