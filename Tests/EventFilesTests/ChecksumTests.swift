import Foundation
import Testing
@testable import EventFiles

@Suite struct ChecksumTests {
    @Test func adler32KnownVectors() {
        #expect(Adler32().value == 1)
        var wiki = Adler32()
        wiki.update(Array("Wikipedia".utf8))
        #expect(wiki.value == 0x11E6_0398)
        #expect(wiki.hexValue == "11e60398")
        var abc = Adler32()
        abc.update(Array("abc".utf8))
        #expect(abc.value == 38_600_999)               // python3 -c "import zlib; print(zlib.adler32(b'abc'))"
        #expect(Adler32.hex(0x0000_00AB) == "000000ab")
    }

    @Test func adler32IsTheSameInOneOrManyPieces() {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        var whole = Adler32()
        whole.update(bytes)
        var pieces = Adler32()
        for chunk in stride(from: 0, to: bytes.count, by: 777) {
            pieces.update(Array(bytes[chunk..<min(chunk + 777, bytes.count)]))
        }
        #expect(whole == pieces)
        // All 0xFF bytes: the worst case for the deferred modulo.
        var worst = Adler32()
        worst.update([UInt8](repeating: 0xFF, count: 20_000))
        #expect(worst.value == naiveAdler32([UInt8](repeating: 0xFF, count: 20_000)))
    }

    @Test func cksumKnownVectors() {
        #expect(PosixCksum().value == 4_294_967_295)   // printf '' | cksum → 4294967295 0
        var digits = PosixCksum()
        digits.update(Array("123456789".utf8))
        #expect(digits.value == 930_766_865)           // printf 123456789 | cksum → 930766865 9
        #expect(digits.length == 9)
    }

    @Test(arguments: [0, 1, 5551, 5552, 65_536, 3_000_001])
    func fileChecksumsMatchSystemTools(size: Int) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("blob-\(size)")
        var generator = SplitMix64(seed: UInt64(size))
        let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let sums = try FileChecksums.compute(path: path)
        #expect(sums.size == UInt64(size))

        if let output = try runTool("/usr/bin/cksum", [path]) {
            let fields = output.split(separator: " ")
            #expect(fields.count >= 2)
            #expect(fields.first.map(String.init) == String(sums.cksum))
            #expect(fields.dropFirst().first.map(String.init) == String(size))
        } else {
            print("skipped: /usr/bin/cksum is not available")
        }

        if let python = findPython(),
           let output = try runTool(python, ["-c", "import sys, zlib; print(zlib.adler32(open(sys.argv[1], 'rb').read()))", path]) {
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == String(sums.adler32))
        } else {
            print("skipped: python3 with zlib is not available")
        }
    }

    @Test func eventFileChecksumsInResultsMatchAFreshComputation() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("gen.wmev")
        let result = try EventOperations.generate(GenerateRequest(firstEvent: 1, lastEvent: 300, firstLumi: 1, eventsPerLumi: 100,
                                                                  outputs: [OutputModule(label: "out", path: path)]))
        #expect(result.outputs[0].checksums == (try FileChecksums.compute(path: path)))
        if let output = try runTool("/usr/bin/cksum", [path]) {
            #expect(output.hasPrefix("\(result.outputs[0].checksums.cksum) \(result.outputs[0].checksums.size) "))
        }
    }

    @Test func checksumOfAMissingFileNamesIt() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("absent")
        #expect(eventFileError { _ = try FileChecksums.compute(path: path) } == .openFailed(path: path, errno: ENOENT))
    }

    private func naiveAdler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }
}
