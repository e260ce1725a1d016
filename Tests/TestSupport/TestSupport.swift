import Foundation

/// Helpers shared by the test targets: temporary spools and the built executables.
public enum TestSupport {
    /// A fresh temporary directory, unique to the caller.
    ///
    /// Kept after the run for a post-mortem; at exit the run removes those left by finished runs more than
    /// an hour ago (`sweepOldDirectories`), so they do not pile up in the temporary folder.
    public static func temporaryDirectory(_ label: String = "test") -> String {
        _ = sweepAtExit
        let path = NSTemporaryDirectory() + "wmspool-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Registers `sweepOldDirectories` to run at exit (once per process). At exit, not at start: removing
    /// many files slows file creation on this disk for minutes (ext4 without a journal).
    private static let sweepAtExit: Void = { atexit { TestSupport.sweepOldDirectories() } }()

    /// Removes the `wmspool-*` directories of test runs that have ended (their process is gone) and that
    /// were last changed more than `age` seconds ago. Returns how many it removed.
    @discardableResult
    public static func sweepOldDirectories(in folder: String = NSTemporaryDirectory(), olderThan age: Double = 3600) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix("wmspool-") {
            // wmspool-<label>-<pid>-<8 hex>: the pid is the second field from the end.
            let fields = name.split(separator: "-")
            guard fields.count >= 4, let pid = Int32(fields[fields.count - 2]),
                  pid != getpid(), kill(pid, 0) != 0 && errno == ESRCH else { continue }
            let path = (folder.hasSuffix("/") ? folder : folder + "/") + name
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  Date().timeIntervalSince(modified) > age else { continue }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed += 1 }
        }
        return removed
    }

    /// The folder holding the built products (the test runner sits beside the executables).
    public static var productsDirectory: String {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        // macOS-style bundles nest the runner inside Contents/MacOS.
        while dir.path.contains(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.path
    }

    /// The path of a built executable of this package.
    public static func executable(_ name: String) -> String {
        productsDirectory + "/" + name
    }

    /// The package root (for `etc/` and `Tests/Fixtures`).
    public static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    /// The result of running a program.
    public struct RunResult: Sendable {
        /// Exit status (or 128 + signal).
        public var status: Int32
        /// Standard output.
        public var stdout: String
        /// Standard error.
        public var stderr: String
    }

    /// Runs a program to completion, capturing its output (drained while it runs).
    @discardableResult
    public static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                           stdin: String? = nil) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        process.waitUntilExit()
        group.wait()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return RunResult(status: status, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}

extension TestSupport {
    /// The result of a run with a deadline.
    public struct BoundedRunResult: Sendable, CustomStringConvertible {
        /// Exit status (or 128 + signal; 128 + 9 when the deadline killed it).
        public var status: Int32
        /// Standard error.
        public var stderr: String
        /// True when the program outlived the deadline and was killed.
        public var timedOut: Bool
        public var description: String { "exit \(status)\(timedOut ? " (timed out, killed)" : ""): \(stderr)" }
    }

    /// Runs a program with standard input and output closed, killing it (SIGKILL) when it outlives `seconds`:
    /// a program that hangs fails its test instead of hanging the suite. Standard error goes through a file, so
    /// a killed program's children holding the pipe cannot block the reader.
    public static func runBounded(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                                  seconds: Double) throws -> BoundedRunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let errorFile = temporaryDirectory("stderr") + "/stderr"
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        let errorHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        process.standardError = errorHandle
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try errorHandle.close()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return BoundedRunResult(status: status, stderr: (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "", timedOut: timedOut)
    }
}

/// A small deterministic random generator (SplitMix64) for reproducible property and crash tests.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// Makes a generator from a seed.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
