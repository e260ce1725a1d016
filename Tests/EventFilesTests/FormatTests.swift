import Foundation
import Testing
@testable import EventFiles

@Suite struct FormatTests {
    @Test(arguments: [0, 1, 13, 1024])
    func roundTripKeepsEveryRecordInOrder(payloadSize: Int) throws {
        let dir = try TemporaryDirectory()
        let records = sampleRecords(1...2500).shuffled()
        let path = try writeEvents(records, to: dir.file("a.wmev"), payloadSize: payloadSize)
        let reader = try EventFileReader(path: path)
        #expect(reader.header.eventCount == 2500)
        #expect(reader.header.payloadSize == payloadSize)
        #expect(!reader.header.flags.contains(.sorted))
        var back: [EventRecord] = []
        try reader.forEach { back.append($0) }
        #expect(back == records)
        #expect(reader.eventsRead == 2500)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! UInt64
        #expect(size == EventFileFormat.fileSize(events: 2500, payloadSize: payloadSize))
    }

    @Test func emptyFileRoundTripsAndSortedFlagIsSet() throws {
        let dir = try TemporaryDirectory()
        let empty = try writeEvents([], to: dir.file("empty.wmev"))
        #expect(try readEvents(empty).isEmpty)
        let sorted = try writeEvents(sampleRecords(1...50), to: dir.file("sorted.wmev"))
        #expect(try EventFileReader(path: sorted).header.flags.contains(.sorted))
        #expect(try EventFileReader(path: empty).header.flags.contains(.sorted))
    }

    @Test func headerBytesAreTheDocumentedLayout() throws {
        let dir = try TemporaryDirectory()
        let path = try writeEvents(sampleRecords(1...3), to: dir.file("a.wmev"), payloadSize: 5)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes[0..<4]) == Array("WMEV".utf8))
        #expect(bytes[4] == 1 && bytes[5] == 0)                          // version 1
        #expect(bytes[6] == 1)                                           // sorted flag
        #expect(bytes[8] == 3 && bytes[9...15].allSatisfy { $0 == 0 })   // event count 3
        #expect(bytes[16] == 5)                                          // payload size
        var header = Adler32()
        header.update(Array(bytes[0..<20]))
        #expect(littleEndianUInt32(bytes, at: 20) == header.value)
        #expect(Array(bytes[24..<32]) == [1, 0, 0, 0, 1, 0, 0, 0])       // run 1, lumi 1
        #expect(Array(bytes[32..<40]) == [1, 0, 0, 0, 0, 0, 0, 0])       // event 1
        let trailer = bytes.count - 16
        #expect(trailer == 24 + 3 * 29)
        #expect(Array(bytes[trailer..<trailer + 4]) == Array("WMET".utf8))
        var records = Adler32()
        records.update(Array(bytes[24..<trailer]))
        #expect(littleEndianUInt32(bytes, at: trailer + 4) == records.value)
        #expect(bytes[trailer + 8] == 3)
    }

    /// Records are 24 + 64 = 88 bytes: cut in the header, after it, mid-record, before and inside the trailer.
    static let cuts: [UInt64] = [10, 24, 24 + 88 * 7 + 30, 24 + 88 * 20, 24 + 88 * 20 + 15]

    @Test(arguments: cuts)
    func truncationIsDetectedWithTheOffset(cutAt size: UInt64) throws {
        let dir = try TemporaryDirectory()
        let path = try writeEvents(sampleRecords(1...20), to: dir.file("a.wmev"))
        try truncateFile(path, to: size)
        let error = eventFileError { _ = try readEvents(path) }
        guard case .truncated(let file, let offset, _) = error else {
            Issue.record("expected truncated, got \(String(describing: error))")
            return
        }
        #expect(file == path)
        #expect(offset == size)
        #expect(error?.cmsswInputExitCode == 8021)
        let message = error?.description ?? ""
        #expect(message.contains(path))
        #expect(message.contains("byte \(size)"))
    }

    @Test(arguments: [0, 5, 11, 17, 30, 87])
    func aDamagedRecordIsReportedAtItsPayload(byteInRecord: Int) throws {
        let dir = try TemporaryDirectory()
        let path = try writeEvents(sampleRecords(1...20), to: dir.file("a.wmev"))
        let recordStart = UInt64(24 + 88 * 6)
        try flipByte(in: path, at: recordStart + UInt64(byteInRecord))
        let error = eventFileError { _ = try readEvents(path) }
        guard case .corrupt(let file, let offset, _) = error else {
            Issue.record("expected corrupt, got \(String(describing: error))")
            return
        }
        #expect(file == path)
        if byteInRecord >= 24 {
            #expect(offset == recordStart + UInt64(byteInRecord))             // the damaged payload byte itself
        } else {
            #expect(offset >= recordStart + 24 && offset < recordStart + 88)  // that record's payload disagrees
        }
    }

    @Test func withoutPayloadTheTrailerChecksumCatchesDamage() throws {
        let dir = try TemporaryDirectory()
        let path = try writeEvents(sampleRecords(1...20), to: dir.file("a.wmev"), payloadSize: 0)
        try flipByte(in: path, at: 24 + 24 * 3 + 9)
        let error = eventFileError { _ = try readEvents(path) }
        guard case .corrupt(path, let offset, _) = error else {
            Issue.record("expected corrupt, got \(String(describing: error))")
            return
        }
        #expect(offset == 24 + 24 * 20 + 4)   // the trailer's checksum field
    }

    @Test func headerDamageExtraBytesAndForeignFilesAreRejectedAtTheirOffset() throws {
        let dir = try TemporaryDirectory()
        let records = sampleRecords(1...5)
        let badSum = try writeEvents(records, to: dir.file("sum.wmev"))
        try flipByte(in: badSum, at: 9)
        #expect(corruptOffset(badSum) == 20)

        let extra = try writeEvents(records, to: dir.file("extra.wmev"))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: extra))
        try handle.seekToEnd()
        try handle.write(contentsOf: [1, 2, 3])
        try handle.close()
        #expect(corruptOffset(extra) == EventFileFormat.fileSize(events: 5, payloadSize: 64))

        let foreign = dir.file("foreign.txt")
        try Data(repeating: 65, count: 100).write(to: URL(fileURLWithPath: foreign))
        #expect(corruptOffset(foreign) == 0)
    }

    @Test func anUnfinishedFileIsRecognised() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("crashed.wmev")
        do {
            let writer = try EventFileWriter(path: path, payloadSize: 16)
            for record in sampleRecords(1...100_000) { try writer.append(record) }
            // Dropped without finish(), as if the process had died.
        }
        let error = eventFileError { _ = try EventFileReader(path: path) }
        #expect(error == .unfinished(path: path))
        #expect(error?.cmsswInputExitCode == 8021)
    }

    @Test func missingInputsAndExistingOutputsAreTypedErrors() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.file("nope.wmev")
        let error = eventFileError { _ = try EventFileReader(path: missing) }
        #expect(error == .openFailed(path: missing, errno: ENOENT))
        #expect(error?.cmsswInputExitCode == 8020)
        let path = try writeEvents([], to: dir.file("a.wmev"))
        #expect(eventFileError { _ = try EventFileWriter(path: path, payloadSize: 1) } == .outputExists(path: path))
        #expect(try readEvents(path).isEmpty)   // the existing file is untouched
    }

    @Test func abandonRemovesThePartialFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("partial.wmev")
        let writer = try EventFileWriter(path: path, payloadSize: 8)
        try writer.append(sampleRecords(1...1)[0])
        writer.abandon()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    private func corruptOffset(_ path: String) -> UInt64? {
        guard case .corrupt(path, let offset, _) = eventFileError({ _ = try EventFileReader(path: path) }) else { return nil }
        return offset
    }
}
