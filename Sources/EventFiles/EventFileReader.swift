import Glibc

/// Streams the records of a WMEV file (see `EventFileFormat`) through a 1 MiB buffer, verifying as
/// it goes: the header at open (plus the file size the header implies), each record's payload, and
/// the trailer's count and checksum when the last record has been read. Every error names the file
/// and the byte offset.
public final class EventFileReader {
    /// The file being read.
    public let path: String
    /// The validated header.
    public let header: EventFileHeader
    /// How many records `next()` has returned so far.
    public private(set) var eventsRead: UInt64 = 0

    private let file: RawFile
    private let recordSize: Int
    private let capacity: Int
    private let buffer: UnsafeMutableRawPointer
    private let expectedPayload: UnsafeMutableRawPointer
    private var start = 0
    private var end = 0
    /// File offset of `buffer[start]`.
    private var offset = UInt64(0)
    private var recordChecksum = Adler32()
    private var trailerChecked = false

    /// Opens `path`, validates the header and checks the file size against the header's event count.
    public init(path: String) throws {
        self.path = path
        let file = try RawFile.openForReading(path)
        self.file = file
        var raw = [UInt8](repeating: 0, count: EventFileFormat.headerSize)
        let got = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, offset: 0) }
        guard got == EventFileFormat.headerSize else {
            throw EventFileError.truncated(path: path, offset: UInt64(got),
                                           expected: "a \(EventFileFormat.headerSize)-byte header")
        }
        let header = try raw.withUnsafeBytes { try EventFileHeader.decode($0, path: path) }
        self.header = header
        guard header.eventCount != EventFileFormat.unfinishedCount else { throw EventFileError.unfinished(path: path) }
        let actualSize = try file.size()
        let recordBytes = EventFileFormat.recordFixedSize + header.payloadSize
        let (records, overflow) = header.eventCount.multipliedReportingOverflow(by: UInt64(recordBytes))
        let expectedSize = UInt64(EventFileFormat.headerSize) + records + UInt64(EventFileFormat.trailerSize)
        guard !overflow, records < UInt64.max / 2 else {
            throw EventFileError.corrupt(path: path, offset: 8, expected: "a plausible event count, found \(header.eventCount)")
        }
        guard actualSize >= expectedSize else {
            throw EventFileError.truncated(path: path, offset: actualSize,
                                           expected: "\(expectedSize) bytes for \(header.eventCount) events of \(recordBytes) bytes plus header and trailer")
        }
        guard actualSize == expectedSize else {
            throw EventFileError.corrupt(path: path, offset: expectedSize,
                                         expected: "end of file after the trailer, found \(actualSize - expectedSize) extra bytes")
        }
        recordSize = recordBytes
        capacity = max(1 << 20, recordBytes + EventFileFormat.trailerSize)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        expectedPayload = UnsafeMutableRawPointer.allocate(byteCount: max(header.payloadSize, 1), alignment: 16)
        offset = UInt64(EventFileFormat.headerSize)
    }

    deinit {
        buffer.deallocate()
        expectedPayload.deallocate()
    }

    /// Returns the next record, or `nil` after the last one (once the trailer has been verified).
    public func next() throws -> EventRecord? {
        if eventsRead == header.eventCount {
            if !trailerChecked { try checkTrailer() }
            return nil
        }
        let recordOffset = offset
        let bytes = try take(recordSize, what: "record \(eventsRead) of \(header.eventCount) (\(recordSize) bytes)")
        let record = EventRecord(fixedPart: UnsafeRawBufferPointer(rebasing: bytes[0..<EventFileFormat.recordFixedSize]))
        let payloadSize = header.payloadSize
        if payloadSize > 0 {
            let payload = bytes.baseAddress! + EventFileFormat.recordFixedSize
            record.fillPayload(expectedPayload, count: payloadSize)
            if memcmp(payload, expectedPayload, payloadSize) != 0 {
                let index = (0..<payloadSize).first { payload.load(fromByteOffset: $0, as: UInt8.self)
                    != expectedPayload.load(fromByteOffset: $0, as: UInt8.self) } ?? 0
                throw EventFileError.corrupt(path: path, offset: recordOffset + UInt64(EventFileFormat.recordFixedSize + index),
                                             expected: "payload of record \(eventsRead) (run \(record.run) lumi \(record.lumi) event \(record.event)); the record or its payload is damaged")
            }
        }
        recordChecksum.update(bytes)
        eventsRead += 1
        return record
    }

    /// Reads every remaining record, handing each to `body`.
    public func forEach(_ body: (EventRecord) throws -> Void) throws {
        while let record = try next() { try body(record) }
    }

    private func checkTrailer() throws {
        let trailerOffset = offset
        let bytes = try take(EventFileFormat.trailerSize, what: "the \(EventFileFormat.trailerSize)-byte trailer")
        guard Array(bytes[0..<4]) == EventFileFormat.trailerMagic else {
            throw EventFileError.corrupt(path: path, offset: trailerOffset, expected: "trailer magic \"WMET\"")
        }
        let storedSum = bytes.loadLittleEndian(UInt32.self, at: 4)
        guard storedSum == recordChecksum.value else {
            throw EventFileError.corrupt(path: path, offset: trailerOffset + 4,
                                         expected: "records adler32 \(Adler32.hex(recordChecksum.value)), trailer says \(Adler32.hex(storedSum))")
        }
        let storedCount = bytes.loadLittleEndian(UInt64.self, at: 8)
        guard storedCount == header.eventCount else {
            throw EventFileError.corrupt(path: path, offset: trailerOffset + 8,
                                         expected: "trailer record count \(header.eventCount) (the header's), found \(storedCount)")
        }
        trailerChecked = true
    }

    /// Returns the next `count` bytes of the file from the buffer, refilling it as needed.
    private func take(_ count: Int, what: String) throws -> UnsafeRawBufferPointer {
        if end - start < count {
            if start > 0 {
                memmove(buffer, buffer + start, end - start)
                end -= start
                start = 0
            }
            while end < count {
                let n = try file.read(into: buffer + end, count: capacity - end, offset: offset + UInt64(end))
                if n == 0 {
                    throw EventFileError.truncated(path: path, offset: offset + UInt64(end), expected: what)
                }
                end += n
            }
        }
        let bytes = UnsafeRawBufferPointer(start: buffer + start, count: count)
        start += count
        offset += UInt64(count)
        return bytes
    }
}
