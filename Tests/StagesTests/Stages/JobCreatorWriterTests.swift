import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// The job creator's fast document writer must write exactly what JSONEncoder writes.
@Suite struct JobCreatorWriterTests {
    @Test func writtenJobDocumentsAreByteForByteJSONEncoderOutput() throws {
        let f = try WMBSFixture("jc-writer")
        let mc = WMBSFixture.subscription("MC", type: "Production", algorithm: .eventBased, parameters: ["events_per_job": 300],
                                          whitelist: ["T2_CH_CERN"])
        let lumi = WMBSFixture.subscription("Lumi", algorithm: .eventAwareLumiBased, parameters: ["events_per_job": 250, "job_time_limit": 1000],
                                            blacklist: ["T1_US_FNAL"])
        try f.subscribe(mc, open: false)
        try f.subscribe(lumi, open: false)
        try f.add([SplitFile(lfn: "MCFakeFile-\(mc.inputFileset)", events: 1000, firstEvent: 1, lastEvent: 1000,
                             runs: [FileRun(run: 1, lumis: Array(1...10))])], to: mc.inputFileset)
        var files = WMBSFixture.files(6, location: { $0 % 2 == 0 ? ["T2_CH_CERN"] : ["T1_US_FNAL_Disk"] })
        files.append(SplitFile(lfn: "/store/slow \"quoted\" \\ é.root", size: 1, events: 600, locations: ["T2_CH_CERN"],
                               runs: [FileRun(run: 10, lumis: [3])], insertTime: 12.5, parents: ["/store/p1"], merged: true))
        try f.add(files, to: lumi.inputFileset)
        try f.runCycle()
        var checked = 0
        for state in [JobState.created, .createfailed] {
            for name in try f.base.jobs.scan(state) {
                let bytes = try #require(try f.spool.read(name + ".json", in: "jobs/" + state.rawValue))
                guard case .success(let doc) = f.base.jobs.decode(bytes, file: name) else { Issue.record("\(name) unreadable"); continue }
                let expected = try Self.jsonEncoderBytes(doc)
                #expect(try f.base.jobs.encode(doc) == expected, "DocumentArea.encode takes the fast path")
                #expect(bytes == expected, "\(name)\n got      \(String(decoding: bytes, as: UTF8.self))\n expected \(String(decoding: expected, as: UTF8.self))")
                checked += 1
            }
        }
        #expect(checked >= 10)
        #expect(try f.jobs(in: .createfailed).count >= 2, "71101 (FNAL blacklisted) and 99305 documents are covered")
    }

    @Test func oddValuesMatchToo() throws {
        var body = JobBody(name: "odd", workflow: "w/\u{1}\t", task: "/t", taskType: "Merge", subscription: "s",
                           inputFiles: [SplitFile(lfn: "/a", events: 3, runs: [FileRun(run: 9, lumis: [1]), FileRun(run: 10, lumis: [2, 3])])],
                           mask: JobMask(firstEvent: 0, lastEvent: -1, runAndLumis: [RunLumiRanges(run: 9, ranges: [[1, 1]]), RunLumiRanges(run: 10, ranges: [[2, 3]])]),
                           possibleSites: ["T2_A"], priority: 40_000_001, estimatedTime: 2.5, estimatedDisk: 1e20, estimatedMemory: 0.1,
                           baggage: ["b": .array([.null, .double(1.5), .object(["z": .int(1), "A": .bool(true)])]), "a": .string("x\"y")],
                           outputs: ["Z": JobOutputSpec(dataTier: "RAW", dataset: "/d", lfnBase: "/l", merged: true, filterMask: 7),
                                     "A": JobOutputSpec(dataTier: "AOD", dataset: "/e", lfnBase: "/m", merged: false)])
        body.batchID = "123.0"
        body.site = "T2_A"
        body.lastRunTime = 1234.5678
        var doc = JobDocument(body)
        try doc.transition(to: .created, actor: "x", reason: "r\n", at: 1_700_000_000.123456)
        let area = Areas.jobs(try Spool(root: TestSupport.temporaryDirectory("writer"), durability: .none))
        defer { try? FileManager.default.removeItem(atPath: area.spool.root) }
        var writer = JobDocumentWriter()
        let written = writer.write(doc)
        let bytes = try #require(written)
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: try Self.jsonEncoderBytes(doc), as: UTF8.self))
        for time in [0.1, 1e-7, 1e21, 123456789.123, 1_763_820_000.987654, -0.5] {
            doc.body.history.append(Transition(from: "created", to: "executing", time: time, actor: "y", reason: "t"))
            #expect(writer.write(doc) == (try Self.jsonEncoderBytes(doc)), "time \(time)")
        }
        // Operator keys sort in among the body's keys.
        doc.extra = ["comment": .string("operator note"), "batchStatus": .string("Running"), "batchStatusTime": .double(1.25),
                     "0first": .null, "Zeta": .array([.int(1)]), "_u": .bool(false), "zz": .object(["b": .int(2), "a": .int(1)]),
                     "élan": .string("é"), "inputFilesX": .int(3)]
        let written2 = writer.write(doc)
        let annotated = try #require(written2)
        #expect(String(decoding: annotated, as: UTF8.self) == String(decoding: try Self.jsonEncoderBytes(doc), as: UTF8.self))
        #expect(try area.encode(doc) == (try Self.jsonEncoderBytes(doc)))
        // An operator key that repeats a body key is left to JSONEncoder.
        doc.extra["site"] = .string("T2_B")
        #expect(writer.write(doc) == nil)
    }

    @Test func fileDocumentsAreByteForByteJSONEncoderOutput() throws {
        let files = [
            SplitFile(lfn: "/store/a.root"),
            SplitFile(lfn: "/store/slow \"q\" \\ é\u{1}.root", size: 1 << 40, events: 600, firstEvent: 7, lastEvent: 99, locations: ["T2_CH_CERN", "T1_X"],
                      runs: [FileRun(run: 10, lumis: [3, 4]), FileRun(run: 11, lumis: [])], insertTime: 1_763_820_000.25, parents: ["/p1", "/p2"], merged: true),
            SplitFile(lfn: "MCFakeFile-x", events: 1000, runs: [FileRun(run: 1, lumis: Array(1...10))], insertTime: 1e-7),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for file in files {
            let expected = Array(try encoder.encode(file)) + [UInt8(ascii: "\n")]
            #expect(String(decoding: try WMBSStore.encode(file), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }

    /// What JSONEncoder (sorted keys) writes for a document, with the final newline.
    static func jsonEncoderBytes(_ doc: JobDocument) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(doc)) + [UInt8(ascii: "\n")]
    }

    @Test func accountingRecordsAreByteForByteJSONEncoderOutput() throws {
        var random = SeededGenerator(seed: 77)
        let texts = ["", "plain", "/store/unmerged/a/b.root", "quote \" back \\ tab\t nl\n é 😀 \u{01}"]
        for n in 0..<200 {
            func text() -> String { texts.randomElement(using: &random)! + String(n) }
            func maybe<T>(_ value: T) -> T? { Bool.random(using: &random) ? value : nil }
            let errors = (0..<Int.random(in: 0...2, using: &random)).map { _ in
                AccountingRecord.ErrorEntry(type: text(), exitCode: Int.random(in: -5...99999, using: &random), details: text())
            }
            let outputs = (0..<Int.random(in: 0...2, using: &random)).map { _ in
                AccountingRecord.Output(module: text(), lfn: text(), dataset: maybe(text()), size: Int.random(in: 0...Int(1e12), using: &random),
                                        events: Int.random(in: 0...100000, using: &random), merged: Bool.random(using: &random))
            }
            var record = AccountingRecord(
                job: text(), retry: Int.random(in: 0...5, using: &random), workflow: text(), task: text(), taskType: text(),
                outcome: Bool.random(using: &random) ? "success" : "jobfailed", exitCode: Int.random(in: 0...99999, using: &random),
                step: text(), errors: errors, site: maybe(text()), jobTime: maybe(Double.random(in: 0...1e6, using: &random)),
                peakRSS: maybe([1024.0, 0.1, 1e20, 3].randomElement(using: &random)!), events: Int.random(in: 0...1000, using: &random),
                inputs: (0..<Int.random(in: 0...3, using: &random)).map { _ in text() }, runs: [1, Int.random(in: 2...400000, using: &random)],
                outputs: outputs, logArchive: maybe(text()))
            record.cpuTime = maybe(Double.random(in: 0...1e6, using: &random))
            record.threads = maybe(Int.random(in: 1...64, using: &random))
            #expect(JobDocumentWriter.accountingRecord(record) == (try encodeDocument(record)))
        }
    }
}
