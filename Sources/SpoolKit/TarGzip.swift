#if canImport(Glibc)
import Glibc
#endif

/// A POSIX ustar archive built in memory, without a `tar` process (one fork per job capped the job archiver at
/// a few dozen jobs per second): the project's one tar writer — the job archiver's log tarballs, the wrapper's
/// `logArchive.tar.gz` and LogCollect's tar of log archives.
///
/// `gzipData` wraps the tar in stored (uncompressed) deflate blocks: a valid `.tar.gz` that `tar -xzf` and
/// `gunzip` read, built at memory speed; `tarData` is the plain tar. Members are regular files, read without
/// blocking or following links; directories are walked.
public struct TarGzip {
    private var tar: [UInt8] = []
    private let modificationTime: Int

    /// The largest member read from disk (a larger log fails the archive rather than filling memory).
    public static let largestMember = 1 << 30

    /// An empty archive whose members carry `modificationTime` (seconds since the epoch).
    public init(modificationTime: Double) {
        self.modificationTime = Int(modificationTime)
    }

    /// Adds the regular files under `directory` (recursively) as `<prefix>/<relative path>`, in name order.
    public mutating func addDirectory(_ directory: String, as prefix: String) throws {
        var entries: [(String, EntryKind)] = []
        try SystemCall.forEachEntry(in: directory) { name, kind in
            entries.append((name, kind))
            return true
        }
        for (name, kind) in entries.sorted(by: { $0.0 < $1.0 }) {
            let path = directory + "/" + name
            if kind == .directory || (kind == .unknown && SystemCall.isDirectory(path)) {
                try addDirectory(path, as: prefix + "/" + name)
            } else if kind == .file || kind == .unknown {
                try addFile(at: path, as: prefix + "/" + name)
            }
        }
    }

    /// Adds the regular file at `path` as member `name` (at most `largestMember` bytes).
    public mutating func addFile(at path: String, as name: String) throws {
        addFile(try SystemCall.readFile(path, limit: Self.largestMember), as: name)
    }

    /// Adds one regular file member.
    public mutating func addFile(_ bytes: [UInt8], as name: String) {
        tar += UstarHeader.regularFile(name: name, size: bytes.count, modificationTime: modificationTime)
        tar += bytes
        tar += [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)
    }

    /// The finished plain tar, with its two closing zero blocks.
    public func tarData() -> [UInt8] {
        tar + [UInt8](repeating: 0, count: 1024)
    }

    /// Writes `bytes` (`tarData()` or `gzipData()`) as the new file `path` (never over an existing one), synced.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = try SystemCall.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC)
        defer { _ = Glibc.close(fd) }
        try bytes.withUnsafeBytes { try SystemCall.writeAll(fd, $0, path: path) }
        try SystemCall.fsync(fd, path: path)
    }

    /// The finished archive: the tar (with its two closing zero blocks) in a gzip stream.
    public func gzipData() -> [UInt8] {
        let body = tarData()
        var out: [UInt8] = [0x1f, 0x8b, 8, 0] + Self.littleEndian(UInt32(truncatingIfNeeded: modificationTime)) + [0, 3]
        out.reserveCapacity(body.count + body.count / 65_535 * 5 + 32)
        var offset = 0
        repeat {
            let length = min(65_535, body.count - offset)
            let final: UInt8 = offset + length == body.count ? 1 : 0
            out.append(final)
            out += [UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)]
            out += body[offset..<offset + length]
            offset += length
        } while offset < body.count
        out += Self.littleEndian(CRC32.checksum(body)) + Self.littleEndian(UInt32(truncatingIfNeeded: body.count))
        return out
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff), UInt8(value >> 24)]
    }
}

/// The 512-byte ustar header of a regular file (mode 0644, owner 0).
enum UstarHeader {
    /// The header for a member `name` (cut to 100 bytes) of `size` bytes.
    static func regularFile(name: String, size: Int, modificationTime: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(modificationTime, at: 136, width: 12)
        put("        ", at: 148, width: 8)
        block[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        let sum = block.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as gzip's trailer uses; eight bytes per step
/// ("slicing by 8": eight 256-entry tables, table 0 the classic one).
package enum CRC32 {
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            tables[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = tables[(k - 1) * 256 + n]
                tables[k * 256 + n] = (previous >> 8) ^ tables[Int(previous & 0xff)]
            }
        }
        return tables
    }()

    /// The CRC-32 of `bytes`.
    package static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            bytes.withUnsafeBufferPointer { b in
                var i = 0
                while i + 8 <= b.count {
                    let low = crc ^ (UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
                    let high = UInt32(b[i + 4]) | UInt32(b[i + 5]) << 8 | UInt32(b[i + 6]) << 16 | UInt32(b[i + 7]) << 24
                    crc = t[7 * 256 + Int(low & 0xff)] ^ t[6 * 256 + Int((low >> 8) & 0xff)]
                        ^ t[5 * 256 + Int((low >> 16) & 0xff)] ^ t[4 * 256 + Int(low >> 24)]
                        ^ t[3 * 256 + Int(high & 0xff)] ^ t[2 * 256 + Int((high >> 8) & 0xff)]
                        ^ t[256 + Int((high >> 16) & 0xff)] ^ t[Int(high >> 24)]
                    i += 8
                }
                while i < b.count {
                    crc = t[Int((crc ^ UInt32(b[i])) & 0xff)] ^ (crc >> 8)
                    i += 1
                }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
