import Dispatch
import Glibc

/// Streams event records into a new WMEV file (see `EventFileFormat`) through a 1 MiB buffer.
///
/// With `threads` > 1 the payloads of a buffer's records (the CPU-heavy part: deterministic bytes per record)
/// are filled by that many threads at each flush, so the file is byte-identical whatever the thread count.
///
/// The header is written first with the "unfinished" event count; `finish()` appends the trailer,
/// rewrites the header with the real count and flags, and (by default) `fsync`s. A file whose writer
/// crashed is therefore recognisable as unfinished. The path must not exist yet.
public final class EventFileWriter {
    /// The output path.
    public let path: String
    /// Payload bytes written per event.
    public let payloadSize: Int
    /// How many records were appended so far.
    public private(set) var eventsWritten: UInt64 = 0
    /// Threads that fill payloads (1: each payload is filled as its record is appended).
    public let threads: Int
    /// The most threads a writer uses.
    public static let maximumThreads = 64

    private let file: RawFile
    private let syncOnFinish: Bool
    private let capacity: Int
    private let buffer: UnsafeMutableRawPointer
    private var buffered = 0
    private var flushedBytes = UInt64(EventFileFormat.headerSize)
    private var recordChecksum = Adler32()
    private var sorted = true
    private var lastRecord: EventRecord?
    private var state = State.open

    private enum State { case open, finished, abandoned }

    /// Creates the file at `path` and writes its provisional header.
    /// - Parameters:
    ///   - payloadSize: payload bytes per event, `0...EventFileFormat.maxPayloadSize`.
    ///   - syncOnFinish: `fsync` the file in `finish()` (default true; benchmarks may turn it off).
    ///   - threads: threads that fill payloads, clamped to `1...maximumThreads`.
    public init(path: String, payloadSize: Int, syncOnFinish: Bool = true, threads: Int = 1) throws {
        guard (0...EventFileFormat.maxPayloadSize).contains(payloadSize) else {
            throw EventFileError.invalidRequest(field: "payloadSize",
                                                expected: "0...\(EventFileFormat.maxPayloadSize), got \(payloadSize)")
        }
        self.path = path
        self.payloadSize = payloadSize
        self.syncOnFinish = syncOnFinish
        self.threads = min(Self.maximumThreads, max(1, threads))
        let recordSize = EventFileFormat.recordFixedSize + payloadSize
        capacity = max(1 << 20, recordSize)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        do {
            file = try RawFile.createNew(path)
        } catch {
            buffer.deallocate()
            throw error
        }
        do {
            let header = EventFileHeader(flags: [], eventCount: EventFileFormat.unfinishedCount, payloadSize: payloadSize)
            try header.encoded().withUnsafeBytes { try file.writeAll($0.baseAddress!, count: $0.count, offset: 0) }
        } catch {
            abandon()
            throw error
        }
    }

    deinit {
        buffer.deallocate()
    }

    /// Appends one event record (fixed part plus its deterministic payload).
    public func append(_ record: EventRecord) throws {
        precondition(state == .open, "EventFileWriter.append after finish() or abandon() on \(path)")
        let recordSize = EventFileFormat.recordFixedSize + payloadSize
        if buffered + recordSize > capacity { try flush() }
        let slot = buffer + buffered
        record.storeFixedPart(slot)
        if threads == 1 { record.fillPayload(slot + EventFileFormat.recordFixedSize, count: payloadSize) }
        buffered += recordSize
        if let last = lastRecord, record < last { sorted = false }
        lastRecord = record
        eventsWritten += 1
    }

    /// Writes the trailer and the final header, syncs if asked, and closes the file.
    /// Returns the header as finally written.
    @discardableResult
    public func finish() throws -> EventFileHeader {
        precondition(state == .open, "EventFileWriter.finish called twice on \(path)")
        try flush()
        var trailer = EventFileFormat.trailerMagic
        trailer.appendLittleEndian(recordChecksum.value)
        trailer.appendLittleEndian(eventsWritten)
        try trailer.withUnsafeBytes { try file.writeAll($0.baseAddress!, count: $0.count, offset: flushedBytes) }
        let header = EventFileHeader(flags: sorted ? .sorted : [], eventCount: eventsWritten, payloadSize: payloadSize)
        try header.encoded().withUnsafeBytes { try file.writeAll($0.baseAddress!, count: $0.count, at: 0) }
        let end = flushedBytes + UInt64(trailer.count)
        if syncOnFinish { try file.sync(offset: end) }
        try file.close(offset: end)
        state = .finished
        return header
    }

    /// Gives up on the file: closes it if still open and removes it, finished or not, so an operation
    /// that fails leaves no output behind. Calling it again does nothing.
    public func abandon() {
        guard state != .abandoned else { return }
        if state == .open { try? file.close(offset: flushedBytes) }
        state = .abandoned
        unlink(path)
    }

    private func flush() throws {
        guard buffered > 0 else { return }
        if threads > 1 && payloadSize > 0 { fillPayloadsInParallel() }
        recordChecksum.update(UnsafeRawBufferPointer(start: buffer, count: buffered))
        try file.writeAll(buffer, count: buffered, offset: flushedBytes)
        flushedBytes += UInt64(buffered)
        buffered = 0
    }

    /// Fills the payload of every buffered record (whose fixed part is stored) with `threads` threads, each taking
    /// one contiguous share of the records.
    private func fillPayloadsInParallel() {
        let recordSize = EventFileFormat.recordFixedSize + payloadSize
        let count = buffered / recordSize
        let shares = min(threads, count)
        guard shares > 0 else { return }
        let base = UInt(bitPattern: buffer)   // an address, so the closure captures nothing non-Sendable
        let payloadSize = self.payloadSize
        DispatchQueue.concurrentPerform(iterations: shares) { share in
            let start = count * share / shares, end = count * (share + 1) / shares
            for index in start..<end {
                let slot = UnsafeMutableRawPointer(bitPattern: base + UInt(index * recordSize))!
                let record = EventRecord(fixedPart: UnsafeRawBufferPointer(start: slot, count: EventFileFormat.recordFixedSize))
                record.fillPayload(slot + EventFileFormat.recordFixedSize, count: payloadSize)
            }
        }
    }
}
