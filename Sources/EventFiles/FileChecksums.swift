/// A file's size and the two checksums CMS records for it (WMCore's `FileInfo`: adler32 and cksum).
public struct FileChecksums: Sendable, Equatable, Hashable {
    /// The size in bytes.
    public var size: UInt64
    /// zlib Adler-32 of the whole file.
    public var adler32: UInt32
    /// POSIX `cksum` CRC of the whole file (length included).
    public var cksum: UInt32

    /// Adler-32 as 8 lowercase hex digits, as in the framework job report and DBS.
    public var adler32Hex: String { Adler32.hex(adler32) }

    /// Makes a value from already known figures.
    public init(size: UInt64, adler32: UInt32, cksum: UInt32) {
        self.size = size
        self.adler32 = adler32
        self.cksum = cksum
    }

    /// Streams through the file at `path` once (1 MiB reads) and computes size, adler32 and cksum.
    /// Throws `EventFileError.openFailed` or `.readFailed` naming the file.
    public static func compute(path: String) throws -> FileChecksums {
        let file = try RawFile.openForReading(path)
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var adler = Adler32()
        var crc = PosixCksum()
        var offset: UInt64 = 0
        while true {
            let n = try file.read(into: buffer, count: chunk, offset: offset)
            if n == 0 { break }
            let bytes = UnsafeRawBufferPointer(start: buffer, count: n)
            adler.update(bytes)
            crc.update(bytes)
            offset += UInt64(n)
        }
        return FileChecksums(size: offset, adler32: adler.value, cksum: crc.value)
    }
}
