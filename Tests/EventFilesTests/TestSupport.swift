import Foundation
@testable import EventFiles

/// A fresh temporary directory per test, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("eventfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// Writes `records` to a new file and returns its path.
@discardableResult
func writeEvents(_ records: [EventRecord], to path: String, payloadSize: Int = 64) throws -> String {
    let writer = try EventFileWriter(path: path, payloadSize: payloadSize, syncOnFinish: false)
    for record in records { try writer.append(record) }
    try writer.finish()
    return path
}

/// Reads every record of a file.
func readEvents(_ path: String) throws -> [EventRecord] {
    let reader = try EventFileReader(path: path)
    var records: [EventRecord] = []
    try reader.forEach { records.append($0) }
    return records
}

/// Simple records in run `run`: event k (k ≥ 1) in lumi (k − 1) / perLumi + 1.
func sampleRecords(_ events: ClosedRange<UInt64>, perLumi: UInt64 = 10, run: UInt32 = 1) -> [EventRecord] {
    events.map { EventRecord(run: run, lumi: UInt32(($0 - 1) / perLumi + 1), event: $0,
                             triggerBits: GenerateRequest.triggerBits(seed: 3, event: $0)) }
}

/// Overwrites one byte of a file with its bitwise complement.
func flipByte(in path: String, at offset: UInt64) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    let byte = try handle.read(upToCount: 1)![0]
    try handle.seek(toOffset: offset)
    try handle.write(contentsOf: [~byte])
}

/// Cuts a file down to `size` bytes.
func truncateFile(_ path: String, to size: UInt64) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.truncate(atOffset: size)
}

/// The error `body` throws, as an `EventFileError` (nil if it throws nothing or something else).
func eventFileError(_ body: () throws -> Void) -> EventFileError? {
    do {
        try body()
        return nil
    } catch let error as EventFileError {
        return error
    } catch {
        return nil
    }
}

/// Runs a tool and returns its standard output, or nil if the tool is not installed or fails.
func runTool(_ executable: String, _ arguments: [String]) throws -> String? {
    guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self)
}

/// Finds `python3` on the usual paths.
func findPython() -> String? {
    let candidates = ["/usr/bin/python3", "/usr/local/bin/python3", "/root/.pyenv/shims/python3"]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The little-endian UInt32 at `offset` of `bytes`.
func littleEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    bytes[offset..<offset + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
}
