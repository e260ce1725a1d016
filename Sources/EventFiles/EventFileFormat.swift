/// # The WMEV event file format, version 1
///
/// A small binary stand-in for an EDM ROOT file: one fixed-size record per event, so tests can check
/// that every requested event ends up exactly once in the final data. All integers are little-endian.
///
/// ```
/// offset  size  header (24 bytes)
///      0     4  magic "WMEV"
///      4     2  format version (1)
///      6     2  flags: bit 0 = records are sorted by (run, lumi, event)
///      8     8  event count N (0xFFFF_FFFF_FFFF_FFFF while the writer has not finished)
///     16     4  payload size P in bytes per event (at most 16 MiB)
///     20     4  header checksum: adler32 of bytes 0..<20
///
///         24+P  record i, at offset 24 + i × (24 + P)
///      0     4  run (UInt32)
///      4     4  lumi section (UInt32)
///      8     8  event number (UInt64)
///     16     8  trigger bits (UInt64, bit k = fired path k)
///     24     P  payload: SplitMix64 stream seeded from (run, lumi, event, trigger bits)
///
///           16  trailer, at offset 24 + N × (24 + P)
///      0     4  magic "WMET"
///      4     4  adler32 of all record bytes (fixed parts and payloads, in file order)
///      8     8  record count (must equal N)
/// ```
///
/// The file size is therefore exactly `24 + N × (24 + P) + 16`. A reader detects: a wrong magic,
/// version or header checksum; an unfinished file; a truncated file (size below that figure, or a
/// short read); extra bytes after the trailer; a damaged record (its payload differs from the bytes
/// its fields imply, reported at the first differing byte); and dropped, duplicated or reordered
/// records (trailer count or checksum mismatch). Every error names the file and the byte offset.
public enum EventFileFormat {
    /// The header's magic bytes.
    public static let magic: [UInt8] = Array("WMEV".utf8)
    /// The trailer's magic bytes.
    public static let trailerMagic: [UInt8] = Array("WMET".utf8)
    /// The format version this library writes and reads.
    public static let version: UInt16 = 1
    /// Header size in bytes.
    public static let headerSize = 24
    /// Size of a record's fixed part (run, lumi, event, trigger bits) in bytes.
    public static let recordFixedSize = 24
    /// Trailer size in bytes.
    public static let trailerSize = 16
    /// The event count a writer puts in the header until it finishes the file.
    public static let unfinishedCount = UInt64.max
    /// The largest payload per event accepted (16 MiB).
    public static let maxPayloadSize = 16 << 20

    /// The total size of a finished file with `events` events of `payloadSize` payload bytes.
    public static func fileSize(events: UInt64, payloadSize: Int) -> UInt64 {
        UInt64(headerSize) + events * UInt64(recordFixedSize + payloadSize) + UInt64(trailerSize)
    }
}

/// Header flags of an event file.
public struct EventFileFlags: OptionSet, Sendable, Hashable {
    /// The raw 16-bit field.
    public let rawValue: UInt16
    /// Makes flags from the raw field.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// The records are in nondecreasing (run, lumi, event) order; merges can stream such files.
    public static let sorted = EventFileFlags(rawValue: 1)
}

/// The decoded header of an event file.
public struct EventFileHeader: Sendable, Hashable {
    /// The format version.
    public var version: UInt16
    /// The flags field.
    public var flags: EventFileFlags
    /// The number of event records (`EventFileFormat.unfinishedCount` if the writer never finished).
    public var eventCount: UInt64
    /// Payload bytes per event.
    public var payloadSize: Int

    /// Makes a header.
    public init(version: UInt16 = EventFileFormat.version, flags: EventFileFlags, eventCount: UInt64, payloadSize: Int) {
        self.version = version
        self.flags = flags
        self.eventCount = eventCount
        self.payloadSize = payloadSize
    }

    /// The 24 header bytes, checksum included.
    func encoded() -> [UInt8] {
        var bytes = EventFileFormat.magic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(flags.rawValue)
        bytes.appendLittleEndian(eventCount)
        bytes.appendLittleEndian(UInt32(payloadSize))
        var adler = Adler32()
        adler.update(bytes)
        bytes.appendLittleEndian(adler.value)
        return bytes
    }

    /// Decodes and validates the 24 header bytes of the file at `path`.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> EventFileHeader {
        guard Array(bytes[0..<4]) == EventFileFormat.magic else {
            throw EventFileError.corrupt(path: path, offset: 0, expected: "magic \"WMEV\" (not an event file)")
        }
        var adler = Adler32()
        adler.update(UnsafeRawBufferPointer(rebasing: bytes[0..<20]))
        let stored = bytes.loadLittleEndian(UInt32.self, at: 20)
        guard adler.value == stored else {
            throw EventFileError.corrupt(path: path, offset: 20,
                                         expected: "header checksum \(Adler32.hex(adler.value)), found \(Adler32.hex(stored))")
        }
        let version = bytes.loadLittleEndian(UInt16.self, at: 4)
        guard version == EventFileFormat.version else {
            throw EventFileError.corrupt(path: path, offset: 4,
                                         expected: "format version \(EventFileFormat.version), found \(version)")
        }
        let payloadSize = Int(bytes.loadLittleEndian(UInt32.self, at: 16))
        guard payloadSize <= EventFileFormat.maxPayloadSize else {
            throw EventFileError.corrupt(path: path, offset: 16,
                                         expected: "payload size at most \(EventFileFormat.maxPayloadSize), found \(payloadSize)")
        }
        return EventFileHeader(version: version, flags: EventFileFlags(rawValue: bytes.loadLittleEndian(UInt16.self, at: 6)),
                               eventCount: bytes.loadLittleEndian(UInt64.self, at: 8), payloadSize: payloadSize)
    }
}

extension Array where Element == UInt8 {
    /// Appends an integer's little-endian bytes.
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    /// Loads a little-endian integer at a byte offset (any alignment).
    func loadLittleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
