import Testing
@testable import Tier0

/// The storage-manager documents of issue 20's Interface, decoded as hostile input (§A.1).
@Suite struct StorageManagerDocumentTests {
    static let file = "/spool/t0/incoming/doc.json"
    static let lfn = "/store/t0streamer/Data/PhysicsA/000/289/461/run289461_ls0020_streamPhysicsA_sm1.dat"

    static func decode(_ text: String) throws(StorageManagerDocumentError) -> StorageManagerDocument {
        try StorageManagerDocument(validating: Array(text.utf8), file: file)
    }

    static func refusal(_ text: String) -> String {
        do { _ = try decode(text); return "accepted" } catch { return error.description }
    }

    static func streamer(_ replacing: String = "", with value: String = "") -> String {
        var fields = ["\"kind\": \"streamer\"", "\"run\": 289461", "\"lumi\": 20", "\"stream\": \"PhysicsA\"", "\"instance\": \"sm1\"",
                      "\"lfn\": \"\(lfn)\"", "\"path\": \"/data/sm/run289461_ls0020.dat\"", "\"events\": 120", "\"size\": 4096"]
        if !replacing.isEmpty {
            fields = fields.filter { !$0.hasPrefix("\"\(replacing)\":") }
            if !value.isEmpty { fields.append("\"\(replacing)\": \(value)") }
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    @Test func eachKindDecodes() throws {
        #expect(try Self.decode(#"{"kind": "run", "run": 1, "hltKey": "/cdaq/physics/v1/HLT/V3", "cmssw": "CMSSW_14_0_7_patch2", "setupLabel": "Data"}"#)
                == .run(RunDocument(run: 1, hltKey: "/cdaq/physics/v1/HLT/V3", cmssw: "CMSSW_14_0_7_patch2", setupLabel: "Data")))
        #expect(try Self.decode(Self.streamer()) == .streamer(StreamerDocument(run: 289461, lumi: 20, stream: "PhysicsA", instance: "sm1",
                                                                             lfn: Self.lfn, path: "/data/sm/run289461_ls0020.dat",
                                                                             events: 120, size: 4096)))
        #expect(try Self.decode(#"{"kind": "endOfLumi", "run": 7, "lumi": 3, "stream": "Express", "instance": "sm-2", "files": 0}"#)
                == .endOfLumi(EndOfLumiDocument(run: 7, lumi: 3, stream: "Express", instance: "sm-2", files: 0)))
        #expect(try Self.decode(#"{"kind": "endOfRun", "run": 4294967295, "instance": "sm1", "instances": 2, "lumis": 50}"#)
                == .endOfRun(EndOfRunDocument(run: 4_294_967_295, instance: "sm1", instances: 2, lumis: 50)))
        #expect(try Self.decode(Self.streamer("events", with: "0")).run == 289461, "§A.1: events NULL → 0, so 0 is a count")
        // The Interface's `"instance": I` may be a number (wm-t0-replay writes 1, 2, ...): the same instance as its text.
        #expect(try Self.decode(#"{"kind": "endOfRun", "run": 7, "instance": 2, "instances": 2, "lumis": 50}"#)
                == .endOfRun(EndOfRunDocument(run: 7, instance: "2", instances: 2, lumis: 50)))
        #expect(throws: StorageManagerDocumentError.self) {
            try Self.decode(#"{"kind": "endOfRun", "run": 7, "instance": -1, "instances": 2, "lumis": 50}"#)
        }
        #expect(throws: StorageManagerDocumentError.self) {
            try Self.decode(#"{"kind": "endOfRun", "run": 7, "instance": 1.5, "instances": 2, "lumis": 50}"#)
        }
    }

    /// §A.1: the CMSSW version is kept to its first four `_` fields; `Emulation` runs are dropped unless EmulationRepack.
    @Test func runMetadataFollowsRegistration() {
        let run = RunDocument(run: 1, hltKey: "k", cmssw: "CMSSW_14_0_7_patch2", setupLabel: "Emulation")
        #expect(run.release == "CMSSW_14_0_7")
        #expect(RunDocument(run: 1, hltKey: "k", cmssw: "CMSSW_14_0_7", setupLabel: "Data").release == "CMSSW_14_0_7")
        #expect(!run.isRegistered(emulationRepack: false) && run.isRegistered(emulationRepack: true))
        #expect(RunDocument(run: 1, hltKey: "k", cmssw: "CMSSW_1_0_0", setupLabel: "Data").isRegistered(emulationRepack: false))
    }

    /// Hostile input: each refusal names the file, the field, what was found and what is allowed.
    @Test(arguments: [
        (streamer("run", with: "0"), "field 'run'", "found 0; expected a whole number from 1 to 4294967295"),
        (streamer("run", with: "4294967296"), "field 'run'", "found 4294967296"),
        (streamer("lumi", with: "-3"), "field 'lumi'", "found -3"),
        (streamer("lumi", with: "2.5"), "field 'lumi'", "found 2.5"),
        (streamer("lumi"), "field 'lumi'", "found nothing"),
        (streamer("events", with: "-1"), "field 'events'", "from 0 to"),
        (streamer("size", with: "0"), "field 'size'", "from 1 to 1099511627776"),
        (streamer("size", with: "\"big\""), "field 'size'", "found \"big\""),
        (streamer("lfn", with: "\"/store/../etc/passwd\""), "field 'lfn'", "'..' component"),
        (streamer("lfn", with: "\"/tmp/x.dat\""), "field 'lfn'", "does not start with /store/"),
        (streamer("path", with: "\"relative/x.dat\""), "field 'path'", "does not start with /"),
        (streamer("path", with: "\"/data/../etc/passwd\""), "field 'path'", "'..' component"),
        (streamer("stream", with: "\"A/B\""), "field 'stream'", "found \"A/B\"; expected a name matching"),
        (streamer("instance", with: "\"../sm\""), "field 'instance'", "a name matching"),
        (streamer("extra", with: "1"), "field 'extra'", "an unknown field"),
        (#"{"kind": "endOfLumi", "run": 7, "lumi": 3, "stream": "E", "instance": "a", "files": 100001}"#, "field 'files'", "from 0 to 100000"),
        (#"{"kind": "endOfRun", "run": 7, "instance": "a", "instances": 0, "lumis": 5}"#, "field 'instances'", "from 1 to 1000"),
        (#"{"kind": "run", "run": 7, "hltKey": "/a/../b", "cmssw": "CMSSW_1_0_0", "setupLabel": "Data"}"#, "field 'hltKey'", "a name matching"),
        (#"{"kind": "run", "run": 7, "hltKey": "k", "cmssw": "14_0_7", "setupLabel": "Data"}"#, "field 'cmssw'", "found \"14_0_7\""),
        (#"{"kind": "lumi", "run": 7}"#, "field 'kind'", "one of run, streamer, endOfLumi, endOfRun"),
        (#"{"run": 7}"#, "field 'kind'", "found nothing"),
        (#"[]"#, "doc.json: found []", "a JSON object"),
        (#"{"kind": "#, "doc.json: found malformed JSON", "a JSON object"),
    ])
    func hostileInputIsRefusedNamingTheField(text: String, field: String, detail: String) {
        let refused = Self.refusal(text)
        #expect(refused.hasPrefix(Self.file + ":") && refused.contains(field) && refused.contains(detail), "\(refused)")
    }

    @Test func oversizedDocumentsAreRefusedBeforeParsing() {
        let text = "{\"kind\": \"run\", \"pad\": \"" + String(repeating: "x", count: StorageManagerDocument.maximumBytes) + "\"}"
        #expect(Self.refusal(text).contains("expected at most 65536 bytes"))
    }
}
