/// zlib's Adler-32 checksum, computed incrementally. `Adler32().value` is 1, as `zlib.adler32(b"")`.
public struct Adler32: Sendable, Equatable {
    private var a: UInt32 = 1
    private var b: UInt32 = 0

    /// Starts a new checksum.
    public init() {}

    /// The checksum of everything added so far (`b << 16 | a`, as zlib returns it).
    public var value: UInt32 { (b << 16) | a }

    /// The checksum as CMS writes it in reports and DBS: 8 lowercase hex digits.
    public var hexValue: String { Adler32.hex(value) }

    /// Formats an Adler-32 value as 8 lowercase hex digits, zero padded.
    public static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Adds bytes to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let modulus: UInt32 = 65521
        // 5552 is zlib's NMAX: the most bytes before `b` could overflow 32 bits.
        let blockSize = 5552
        var a = self.a
        var b = self.b
        var index = 0
        let count = bytes.count
        while index < count {
            let end = min(index + blockSize, count)
            while index < end {
                a &+= UInt32(bytes[index])
                b &+= a
                index += 1
            }
            a %= modulus
            b %= modulus
        }
        self.a = a
        self.b = b
    }

    /// Adds the bytes of an array.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }
}

/// The POSIX `cksum` checksum (IEEE 802.3 CRC-32, polynomial 0x04C11DB7, not reflected, with the
/// byte length appended before the final complement), exactly what `/usr/bin/cksum` prints.
public struct PosixCksum: Sendable, Equatable {
    private var crc: UInt32 = 0
    /// How many bytes were added so far (the second number `cksum` prints).
    public private(set) var length: UInt64 = 0

    /// Starts a new checksum.
    public init() {}

    /// Slicing-by-4 tables: `tables[0]` is the classic byte table; `tables[k][i]` is the CRC of byte `i`
    /// followed by `k` zero bytes, so four bytes can be folded in with four look-ups.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 4 * 256)
        for index in 0..<256 {
            var crc = UInt32(index) << 24
            for _ in 0..<8 {
                crc = (crc & 0x8000_0000) != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1
            }
            tables[index] = crc
        }
        for slice in 1..<4 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous << 8) ^ tables[Int(previous >> 24)]
            }
        }
        return tables
    }()

    /// Adds bytes to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        crc = PosixCksum.feed(crc, bytes)
        length += UInt64(bytes.count)
    }

    /// Adds the bytes of an array.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The checksum of everything added so far, with the length folded in (as `cksum` prints it).
    public var value: UInt32 {
        var crc = self.crc
        var remaining = length
        var lengthBytes: [UInt8] = []
        while remaining != 0 {
            lengthBytes.append(UInt8(truncatingIfNeeded: remaining))
            remaining >>= 8
        }
        crc = lengthBytes.withUnsafeBytes { PosixCksum.feed(crc, $0) }
        return ~crc
    }

    private static func feed(_ start: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            var crc = start
            var index = 0
            let count = bytes.count
            while index + 4 <= count {
                let word = crc ^ UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self))
                crc = t[768 + Int(word >> 24)] ^ t[512 + Int((word >> 16) & 0xFF)]
                    ^ t[256 + Int((word >> 8) & 0xFF)] ^ t[Int(word & 0xFF)]
                index += 4
            }
            while index < count {
                crc = (crc << 8) ^ t[Int(UInt8(truncatingIfNeeded: crc >> 24) ^ bytes[index])]
                index += 1
            }
            return crc
        }
    }
}
