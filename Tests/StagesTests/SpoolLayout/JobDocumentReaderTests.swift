import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// The hand-written job document reader gives exactly what JSONDecoder gives, and steps aside (nil) for
/// everything else, so `DocumentArea.decode` explains failures as before.
@Suite struct JobDocumentReaderTests {
    /// Runs `body` with a job area on a fresh temporary spool.
    static func withArea(_ label: String, _ body: (DocumentArea<JobBody>) throws -> Void) throws {
        let area = Areas.jobs(try Spool(root: TestSupport.temporaryDirectory(label), durability: .none))
        defer { try? FileManager.default.removeItem(atPath: area.spool.root) }
        try body(area)
    }

    /// Same body and same extra keys.
    static func same(_ a: JobDocument, _ b: JobDocument) -> Bool { a.body == b.body && a.extra == b.extra }

    /// The fast reader, `decode` and the JSONDecoder-only path agree on `bytes`: the same document, or (fast
    /// reader nil) the same failure. With `fast`, the fast reader must also have read it.
    static func expectAgreement(_ bytes: [UInt8], in area: DocumentArea<JobBody>, fast requireFast: Bool = false,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        let text = String(decoding: bytes, as: UTF8.self)
        let fast = JobDocumentReader.read(bytes)
        let combined = area.decode(bytes, file: "jobs/created/j.json")
        switch area.decodeWithJSONDecoder(bytes, file: "jobs/created/j.json") {
        case .success(let reference):
            if let fast { #expect(same(fast, reference), "\(text)", sourceLocation: sourceLocation) }
            if requireFast { #expect(fast != nil, "fast reader stepped aside: \(text)", sourceLocation: sourceLocation) }
            guard case .success(let doc) = combined else {
                Issue.record("decode failed where JSONDecoder reads: \(text)", sourceLocation: sourceLocation)
                return
            }
            #expect(same(doc, reference), "\(text)", sourceLocation: sourceLocation)
        case .failure(let problem):
            #expect(fast == nil, "fast reader read what JSONDecoder refuses (\(problem)): \(text)", sourceLocation: sourceLocation)
            guard case .failure(let combinedProblem) = combined else {
                Issue.record("decode read what JSONDecoder refuses: \(text)", sourceLocation: sourceLocation)
                return
            }
            #expect(combinedProblem.description == problem.description, sourceLocation: sourceLocation)
        }
    }

    @Test func randomJobsReadAsJSONDecoderReadsThem() throws {
        var random = SeededGenerator(seed: 4242)
        let plain = JSONEncoder()
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.withArea("jobreader-random") { area in
            var writer = JobDocumentWriter()
            for n in 0..<250 {
                let doc = try RandomJob.document(n, using: &random)
                var encodings = [try area.encode(doc), Array(try plain.encode(doc)), Array(try pretty.encode(doc))]
                // The job creator's writer makes new jobs (no operator keys, no run time yet).
                if doc.lastRunTime == nil, let written = writer.write(doc) { encodings.append(written) }
                for bytes in encodings {
                    Self.expectAgreement(bytes, in: area, fast: true)
                    let read = try #require(JobDocumentReader.read(bytes))
                    // The typed fields round-trip exactly; JSON values may come back normalised (1.0 → 1), as from JSONDecoder.
                    var body = read.body
                    body.baggage = doc.body.baggage
                    #expect(body == doc.body)
                }
            }
        }
    }

    @Test func jobsTheJobCreatorWroteAreReadFast() throws {
        let f = try WMBSFixture("jobreader-creator")
        let mc = WMBSFixture.subscription("MC", type: "Production", algorithm: .eventBased, parameters: ["events_per_job": 300],
                                          whitelist: ["T2_CH_CERN"])
        let lumi = WMBSFixture.subscription("Lumi", algorithm: .lumiBased, parameters: ["lumis_per_job": 2], blacklist: ["T1_US_FNAL"])
        try f.subscribe(mc, open: false)
        try f.subscribe(lumi, open: false)
        try f.add([SplitFile(lfn: "MCFakeFile-\(mc.inputFileset)", events: 1000, firstEvent: 1, lastEvent: 1000,
                             runs: [FileRun(run: 1, lumis: Array(1...10))])], to: mc.inputFileset)
        try f.add(WMBSFixture.files(6, location: { $0 % 2 == 0 ? ["T2_CH_CERN"] : ["T1_US_FNAL_Disk"] }), to: lumi.inputFileset)
        try f.runCycle()
        var checked = 0
        for state in [JobState.created, .createfailed] {
            for name in try f.base.jobs.scan(state) {
                let bytes = try #require(try f.spool.read(name + ".json", in: "jobs/" + state.rawValue))
                Self.expectAgreement(bytes, in: f.base.jobs, fast: true)
                checked += 1
            }
        }
        #expect(checked >= 8)
    }

    @Test func truncatedDocumentsFailAsBefore() throws {
        var random = SeededGenerator(seed: 5)
        try Self.withArea("jobreader-truncated") { area in
            let bytes = try area.encode(try RandomJob.document(3, using: &random))
            for length in 0..<bytes.count {
                Self.expectAgreement(Array(bytes[..<length]), in: area, fast: length == bytes.count - 1)
            }
        }
    }

    /// One valid document as an object, to be edited into wrong ones.
    static func baseMembers(_ area: DocumentArea<JobBody>) throws -> [String: JSONValue] {
        var random = SeededGenerator(seed: 11)
        var doc = try RandomJob.document(1, using: &random)
        doc.extra = [:]
        return try #require(try JSONValue.parse(try area.encode(doc)).objectValue)
    }

    @Test func wrongTypesAndSchemasFailAsBefore() throws {
        let spec: JSONValue = ["dataTier": "RECO", "dataset": "/a/b/RECO", "lfnBase": "/store", "merged": false, "filterMask": 0]
        func output(_ change: (inout [String: JSONValue]) -> Void) -> JSONValue {
            var members = spec.objectValue!
            change(&members)
            return ["A": .object(members)]
        }
        let edits: [(String, JSONValue?)] = [
            ("schema", 2), ("schema", "1"), ("schema", .null), ("schema", nil), ("schema", 1.0),
            ("name", 5), ("name", .null), ("name", nil), ("workflow", ["x"]),
            ("priority", "1"), ("priority", 1.5), ("priority", 1e300), ("priority", 2.0), ("retryCount", .null),
            ("estimatedTime", "x"), ("estimatedTime", .null), ("estimatedTime", 5), ("estimatedDisk", nil),
            ("mask", []), ("mask", .null), ("mask", [:]), ("mask", ["runAndLumis": ["x": [[1, 2]]]]),
            ("mask", ["runAndLumis": ["05": [[1, 2]]]]), ("mask", ["runAndLumis": .null, "inclusivemask": .null]),
            ("mask", ["FirstEvent": 1.5]), ("mask", ["FirstEvent": .null, "LastRun": 7]), ("mask", ["colour": 1]),
            ("mask", ["runAndLumis": ["3": [[1, 2]], "1": [[5, 6, 7]], "-2": []]]),
            ("inputFiles", [:]), ("inputFiles", [["size": 1]]), ("inputFiles", [["lfn": "/a", "runs": [[1, [2, "3"]]]]]),
            ("inputFiles", [["lfn": "/a", "size": .null]]), ("inputFiles", [["lfn": "/a", "colour": 1]]),
            ("inputFiles", [["lfn": "/a", "runs": [[1, [2], 3]]]]),
            ("outputs", output { $0["filterMask"] = -1 }), ("outputs", output { $0["merged"] = nil }),
            ("outputs", output { $0["colour"] = 1 }), ("outputs", output { $0["filterMask"] = .int(Int.max) }),
            ("outputs", []), ("outputs", output { $0["filterMask"] = 1e19 }),
            ("history", [["from": "new"]]), ("history", [["from": "new", "to": "created", "time": "t", "actor": "a", "reason": "r"]]),
            ("history", "x"), ("history", [["from": "new", "to": "created", "time": 1, "actor": "a", "reason": "r", "note": 1]]),
            ("state", "bogus"), ("state", 1), ("state", nil),
            ("baggage", .null), ("baggage", []), ("baggage", ["a": ["b": [1, 2.5, .null, true, "s"]]]),
            ("batchID", .null), ("batchID", 5), ("site", "T2_CH_CERN"), ("lastRunTime", .null), ("lastRunTime", "x"),
            ("lastRunTime", 12.5), ("exitCodes", [1.5]), ("exitCodes", [.null]), ("exitCodes", [8001, 1.0e3]),
            ("possibleSites", ["a", 1]), ("comment", "operator note"), ("comment", ["deep": [1, ["x": .null]]]),
        ]
        try Self.withArea("jobreader-types") { area in
            let base = try Self.baseMembers(area)
            for (key, value) in edits {
                var members = base
                members[key] = value
                Self.expectAgreement(Array(JSONValue.object(members).serialized.utf8), in: area)
            }
        }
    }

    @Test func oddTextIsLeftToJSONDecoder() throws {
        try Self.withArea("jobreader-text") { area in
            let text = JSONValue.object(try Self.baseMembers(area)).serialized
            let variants = [
                text.replacingOccurrences(of: "{\"baggage\"", with: "{\"priority\":7,\"baggage\""),   // repeated key: JSONDecoder keeps the first
                text.replacingOccurrences(of: "{\"baggage\"", with: "{\"comment\":1,\"comment\":2,\"baggage\""),
                text.replacingOccurrences(of: "\"name\"", with: "\"n\\u0061me\""),                    // escaped key
                text.replacingOccurrences(of: "{\"baggage\"", with: "{\"comment\":1e400,\"baggage\""), // extra key no JSONValue holds
                text.replacingOccurrences(of: "{\"baggage\"", with: "{\"estimatedTime\":1e-400,\"baggage\""),
                text.replacingOccurrences(of: "}", with: ",}"),                                         // trailing commas
                "\u{FEFF}" + text, "  \n" + text + " \n\t", text + "x", text + "{}", "", "null", "[]", "{}",
                text.replacingOccurrences(of: "\"state\":\"", with: "\"state\":\"\\u0063"),
                text.replacingOccurrences(of: "\"lfn\":\"", with: "\"lfn\":\"\\ud800"),
            ]
            for variant in variants {
                Self.expectAgreement(Array(variant.utf8), in: area)
            }
            Self.expectAgreement([0xFF, 0xFE], in: area)
            #expect(JobDocumentReader.read(Array(text.utf8), schema: 2) == nil, "another schema is left to JSONDecoder")
        }
    }
}

/// Random job documents with every part filled in various ways.
enum RandomJob {
    static func document(_ n: Int, using random: inout SeededGenerator) throws -> JobDocument {
        let files = (0..<Int.random(in: 0...3, using: &random)).map { i in
            SplitFile(lfn: i == 0 ? "/store/é/\(n)\\\"q\"/x.root" : "/store/data/\(n)-\(i).root",
                      size: Int.random(in: 0...Int(Int32.max), using: &random) * 1000, events: Int.random(in: 0...100_000, using: &random),
                      firstEvent: n % 3, lastEvent: -n, locations: ["T2_CH_CERN", "T1_US_FNAL_Disk"].shuffled(using: &random),
                      runs: (0..<Int.random(in: 0...3, using: &random)).map { run in
                          FileRun(run: run + 1, lumis: (0..<Int.random(in: 0...4, using: &random)).map { _ in Int.random(in: 1...5000, using: &random) })
                      },
                      insertTime: Bool.random(using: &random) ? 0 : RandomJSON.double(using: &random),
                      parents: n % 4 == 0 ? ["/store/parent/\(n)"] : [], merged: n % 2 == 0)
        }
        var mask = JobMask(firstEvent: optional(Int.random(in: 0...1_000_000, using: &random), using: &random),
                           lastEvent: optional(-1, using: &random), firstLumi: optional(1, using: &random), lastLumi: optional(n, using: &random),
                           firstRun: optional(1, using: &random), lastRun: optional(Int.max, using: &random),
                           inclusiveMask: Bool.random(using: &random))
        for run in Set((0..<Int.random(in: 0...3, using: &random)).map { _ in Int.random(in: -3...400_000, using: &random) }).sorted() {
            mask.addRunAndLumis(run: run, first: Int.random(in: 1...10, using: &random), last: Int.random(in: 10...100, using: &random))
        }
        var baggage: [String: JSONValue] = ["lfnCounter": .int(n)]
        for _ in 0..<Int.random(in: 0...4, using: &random) { baggage[RandomJSON.string(using: &random)] = RandomJSON.value(depth: 1, using: &random) }
        var outputs: [String: JobOutputSpec] = [:]
        for module in ["RECOoutput", "AODoutput", "ALCA/é"].prefix(Int.random(in: 0...3, using: &random)) {
            outputs[module] = JobOutputSpec(dataTier: "RECO", dataset: "/PD/Era-v1/RECO", lfnBase: "/store/unmerged/\(module)",
                                            merged: Bool.random(using: &random), filterMask: UInt64.random(in: 0...UInt64.max, using: &random))
        }
        var doc = JobDocument(JobBody(
            name: "wf-sub-\(n)", workflow: "Req_\(n)", task: "/Req/Proc", taskType: ["Production", "Merge", "LogCollect"].randomElement(using: &random)!,
            subscription: "sub\(n)", inputFiles: files, mask: mask, possibleSites: ["T2_CH_CERN", "T1_US_FNAL"].shuffled(using: &random),
            priority: Int.random(in: 0...400_000_000, using: &random), estimatedTime: RandomJSON.double(using: &random),
            estimatedDisk: Double(Int.random(in: 0...1_000_000, using: &random)), estimatedMemory: 2000.5,
            baggage: baggage, outputs: outputs))
        var time = Double.random(in: 1_700_000_000...1_800_000_000, using: &random)
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            guard let next = doc.state.successors.sorted(by: { $0.rawValue < $1.rawValue }).randomElement(using: &random) else { break }
            time += Double.random(in: 0...100, using: &random)
            try doc.transition(to: next, actor: ["wm-jobcreator", "operator"].randomElement(using: &random)!,
                               reason: RandomJSON.awkwardStrings.randomElement(using: &random)!, at: time)
            if next == .jobfailed { doc.exitCodes.append([8001, 50664, 99109].randomElement(using: &random)!) }
        }
        if Bool.random(using: &random) { doc.batchID = "\(n).0" }
        if Bool.random(using: &random) { doc.site = "T2_CH_CERN" }
        if Bool.random(using: &random) { doc.lastRunTime = Double.random(in: 0...100_000, using: &random) }
        if n % 3 == 0 { doc.extra = ["comment": .string("waiting for site fix"), "z": RandomJSON.value(depth: 0, using: &random)] }
        return doc
    }

    static func optional(_ value: Int, using random: inout SeededGenerator) -> Int? {
        Bool.random(using: &random) ? value : nil
    }
}
