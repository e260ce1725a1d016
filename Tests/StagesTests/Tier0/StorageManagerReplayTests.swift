import DynamicJSON
import EventFiles
import Foundation
import SpoolLayout
import StorageManagerReplay
import TestSupport
import Testing

/// The storage-manager simulator (`wm-t0-replay`, issue 20): the documents of the Interface, its disorders, and the
/// expectation it writes, checked event by event against the streamer files.
@Suite struct StorageManagerReplayTests {
    /// A menu with a Bulk stream of three PDs (one taking two paths) and an Express stream.
    static let menu = """
    {"acquisitionEra": "Run2026A",
     "menus": {"HLT_v1": {"process": "HLT", "paths": ["HLT_Mu", "HLT_Ele", "HLT_Jet", "HLT_Express"],
                          "streams": {"Physics": {"Muon": ["HLT_Mu"], "EGamma": ["HLT_Ele"], "JetMET": ["HLT_Jet", "HLT_Mu"]},
                                      "Express": {"ExpressPhysics": ["HLT_Express"]}}}},
     "streams": {"Express": {"style": "Express", "maxLatency": 900}},
     "promptReco": {"delay": 5, "offset": 1, "enabled": true}}
    """
    /// The PDs' masks as the menu defines them (bit k = path k), written out independently of the simulator.
    static let masks: [String: (stream: String, mask: UInt64)] = [
        "Muon": ("Physics", 0b0001), "EGamma": ("Physics", 0b0010), "JetMET": ("Physics", 0b0101),
        "ExpressPhysics": ("Express", 0b1000), "StreamExpress": ("Express", 0),
    ]

    /// A spool folder holding `etc/t0.json` (the menu by default).
    static func spool(menu: String = menu) throws -> String {
        let root = TestSupport.temporaryDirectory("t0replay")
        try FileManager.default.createDirectory(atPath: root + "/" + Layout.configuration, withIntermediateDirectories: true)
        try Data(menu.utf8).write(to: URL(fileURLWithPath: root + "/" + Layout.tier0Configuration))
        return root
    }

    /// Runs the command in-process.
    static func replay(_ arguments: [String]) -> (code: Int32, output: ReplayOutput) {
        let output = ReplayOutput()
        return (ReplayCommand.run(arguments, output: output), output)
    }

    /// The published documents in name order: (name, object).
    static func documents(_ root: String) throws -> [(name: String, body: [String: JSONValue])] {
        let folder = root + "/" + Layout.tier0Incoming
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { name in
            let value = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))))
            return (name, try #require(value.objectValue, "\(name) is an object"))
        }
    }

    /// Every file under `root` (relative path → bytes), for comparing two replays or checking nothing changed.
    static func tree(_ root: String, skipping skipped: Set<String> = []) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for case let relative as String in FileManager.default.enumerator(atPath: root)?.allObjects ?? [] {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder), !isFolder.boolValue,
                  !skipped.contains(relative) else { continue }
            files[relative] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative))
        }
        return files
    }

    static let shape = ["--runs", "2", "--lumis", "6", "--instances", "2", "--events-per-file", "5", "--payload-bytes", "16"]

    // MARK: Determinism and the command line

    @Test func theSameSeedWritesTheSameFilesAndDocumentsAndAnotherSeedDoesNot() throws {
        let disorders = ["--shuffle", "--late-instance", "--duplicate", "--empty-lumis", "1"]
        var trees: [[String: Data]] = []
        for seed in ["7", "7", "8"] {
            let root = try Self.spool()
            let run = Self.replay(["--spool", root, "--seed", seed, "--data", root + "/data"] + Self.shape + disorders)
            #expect(run.code == 0, "\(run.output.stderr)")
            // The streamer paths inside documents name each spool; compare the files relative to it.
            var tree = try Self.tree(root, skipping: [])
            for (key, value) in tree { tree[key] = Data(String(decoding: value, as: UTF8.self).replacingOccurrences(of: root, with: "ROOT").utf8) }
            trees.append(tree.filter { !$0.key.hasPrefix(".") })
        }
        #expect(trees[0].count > 20)
        #expect(trees[0] == trees[1], "the same seed must write the same bytes")
        #expect(trees[0] != trees[2], "another seed must change the trigger bits or the order")
    }

    @Test func anUnknownOptionExits64AndWritesNothing() throws {
        let root = try Self.spool()
        let before = try Self.tree(root)
        let run = Self.replay(["--spool", root, "--lumis", "3", "--no-such-option"])
        #expect(run.code == 64)
        #expect(run.output.stderr.contains("--no-such-option"))
        #expect(try Self.tree(root) == before)
        #expect(Self.replay(["--spool", root, "--oversized-lumi", "100001:99", "--lumis", "3"]).code == 64, "a lumi outside the replay")
        #expect(Self.replay(["--spool", root, "--late-instance", "--instances", "1"]).code == 64)
        #expect(try Self.tree(root) == before)
    }

    @Test func dryRunPrintsWhatItWouldWriteAndWritesNothing() throws {
        let root = try Self.spool()
        let before = try Self.tree(root)
        let run = Self.replay(["--spool", root, "--dry-run", "--expect", root + "/expect.json"] + Self.shape)
        #expect(run.code == 0, "\(run.output.stderr)")
        #expect(try Self.tree(root) == before, "--dry-run changed the spool")
        #expect(!FileManager.default.fileExists(atPath: root + "/" + Layout.tier0Incoming))
        let lines = run.output.stdout.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("would write /") }.count == 2 * 6 * 2 * 2)   // runs × lumis × streams × instances
        #expect(lines.contains { $0.hasPrefix("would publish \(Layout.tier0Incoming)/") && $0.contains("\"kind\":\"endOfRun\"") })
    }

    @Test func aMissingSpoolOrConfigurationAndABadMenuAreRefused() throws {
        let missing = TestSupport.temporaryDirectory("t0replay") + "/nothing"
        #expect(Self.replay(["--spool", missing]).code == 66)
        let bare = TestSupport.temporaryDirectory("t0replay")
        #expect(Self.replay(["--spool", bare]).code == 66)
        let bad = try Self.spool(menu: Self.menu.replacingOccurrences(of: "\"JetMET\": [\"HLT_Jet\", \"HLT_Mu\"]", with: "\"JetMET\": [\"HLT_Nope\"]"))
        let run = Self.replay(["--spool", bad])
        #expect(run.code == 65)
        #expect(run.output.stderr.contains("menus.HLT_v1.streams.Physics.JetMET[0]") && run.output.stderr.contains("HLT_Nope"))
        #expect(!FileManager.default.fileExists(atPath: bad + "/" + Layout.tier0Incoming))
    }

    // MARK: The documents

    @Test func theDocumentsHaveTheInterfaceKindsAndFieldsAndDescribeTheFiles() throws {
        let root = try Self.spool()
        #expect(Self.replay(["--spool", root] + Self.shape).code == 0)
        let documents = try Self.documents(root)
        let fields: [String: Set<String>] = [
            "run": ["kind", "run", "hltKey", "cmssw", "setupLabel"],
            "streamer": ["kind", "run", "lumi", "stream", "instance", "lfn", "path", "events", "size"],
            "endOfLumi": ["kind", "run", "lumi", "stream", "instance", "files"],
            "endOfRun": ["kind", "run", "instance", "instances", "lumis"],
        ]
        var counts: [String: Int] = [:]
        for (name, body) in documents {
            #expect(name.hasSuffix(".json"))
            let kind = try #require(body["kind"]?.stringValue)
            counts[kind, default: 0] += 1
            #expect(Set(body.keys) == fields[kind], "\(name)")
            if kind == "streamer" {
                let path = try #require(body["path"]?.stringValue)
                let lfn = try #require(body["lfn"]?.stringValue)
                #expect(path.hasPrefix("/") && path.hasSuffix(lfn))
                let reader = try EventFileReader(path: path)
                #expect(Int(reader.header.eventCount) == body["events"]?.intValue)
                let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
                #expect(size == body["size"]?.intValue)
                try reader.forEach { record in
                    #expect(Int(record.run) == body["run"]?.intValue && Int(record.lumi) == body["lumi"]?.intValue)
                }
            }
            if kind == "endOfRun" { #expect(body["instances"]?.intValue == 2 && body["lumis"]?.intValue == 6) }
            if kind == "run" { #expect(body["hltKey"]?.stringValue == "HLT_v1" && body["setupLabel"]?.stringValue == "Data") }
        }
        #expect(counts == ["run": 2, "streamer": 48, "endOfLumi": 48, "endOfRun": 4])
        let lfn = try #require(documents.first { $0.body["kind"]?.stringValue == "streamer" }?.body["lfn"]?.stringValue)
        #expect(lfn == "/store/t0streamer/Data/Express/000/100/001/run100001_ls0001_streamExpress_StorageManager1.dat", "§A.1's LFN form")
    }

    /// The lumi order of one instance's documents of one run and stream.
    static func lumiOrder(_ documents: [(name: String, body: [String: JSONValue])], run: Int) -> [Int] {
        documents.filter {
            $0.body["kind"]?.stringValue == "endOfLumi" && $0.body["run"]?.intValue == run
                && $0.body["instance"]?.intValue == 1 && $0.body["stream"]?.stringValue == "Physics"
        }.compactMap { $0.body["lumi"]?.intValue }
    }

    @Test func shuffleSendsLumisOutOfOrderAndLateInstanceSendsOneInstanceLast() throws {
        let plain = try Self.spool(), shuffled = try Self.spool()
        #expect(Self.replay(["--spool", plain] + Self.shape).code == 0)
        #expect(Self.replay(["--spool", shuffled, "--shuffle", "--late-instance"] + Self.shape).code == 0)
        #expect(Self.lumiOrder(try Self.documents(plain), run: 100_001) == Array(1...6))
        let order = Self.lumiOrder(try Self.documents(shuffled), run: 100_001)
        #expect(order.sorted() == Array(1...6) && order != Array(1...6))
        // Late instance: every document of instance 2 comes after every document of instance 1.
        let late = try Self.documents(shuffled).enumerated().filter { $0.element.body["instance"]?.intValue == 2 }.map(\.offset)
        let onTime = try Self.documents(shuffled).enumerated().filter { $0.element.body["instance"]?.intValue == 1 }.map(\.offset)
        let firstLate = try #require(late.min()), lastOnTime = try #require(onTime.max())
        #expect(firstLate > lastOnTime)
        let interleaved = try Self.documents(plain).enumerated().filter { $0.element.body["instance"]?.intValue == 2 }.map(\.offset)
        let plainOnTime = try Self.documents(plain).enumerated().filter { $0.element.body["instance"]?.intValue == 1 }.map(\.offset)
        let firstInterleaved = try #require(interleaved.min()), lastPlainOnTime = try #require(plainOnTime.max())
        #expect(firstInterleaved < lastPlainOnTime, "without --late-instance the instances interleave")
    }

    @Test func duplicateSendsSomeDocumentsTwiceUnderAnotherName() throws {
        for duplicate in [false, true] {
            let root = try Self.spool()
            #expect(Self.replay(["--spool", root] + Self.shape + (duplicate ? ["--duplicate"] : [])).code == 0)
            let bodies = try Self.documents(root).map { JSONValue.object($0.body).serialized }
            let repeated = bodies.count - Set(bodies).count
            if duplicate { #expect(repeated > 0 && Set(bodies).count == 102) } else { #expect(repeated == 0 && bodies.count == 102) }
        }
    }

    @Test func emptyLumisHaveNoFileFromAnyInstanceAndAZeroFileCount() throws {
        let root = try Self.spool()
        #expect(Self.replay(["--spool", root, "--empty-lumis", "2", "--expect", root + "/expect.json"] + Self.shape).code == 0)
        let documents = try Self.documents(root)
        for run in [100_001, 100_002] {
            let ends = documents.filter { $0.body["kind"]?.stringValue == "endOfLumi" && $0.body["run"]?.intValue == run }
            let empty = Set(ends.filter { $0.body["files"]?.intValue == 0 }.compactMap { $0.body["lumi"]?.intValue })
            #expect(empty.count == 2)
            #expect(ends.filter { empty.contains($0.body["lumi"]?.intValue ?? 0) }.count == 2 * 2 * 2, "every instance and stream reports both empty")
            let withFiles = Set(documents.filter { $0.body["kind"]?.stringValue == "streamer" && $0.body["run"]?.intValue == run }
                .compactMap { $0.body["lumi"]?.intValue })
            #expect(withFiles.isDisjoint(with: empty) && withFiles.count == 4)
            let expectation = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: root + "/expect.json"))))
            #expect(Set(expectation.objectValue?["emptyLumis"]?.objectValue?[String(run)]?.arrayValue?.compactMap(\.intValue) ?? []) == empty)
        }
    }

    @Test func anOversizedLumiHoldsManyMoreEvents() throws {
        let root = try Self.spool()
        #expect(Self.replay(["--spool", root, "--oversized-lumi", "100002:3", "--empty-lumis", "5"] + Self.shape).code == 0)
        for (_, body) in try Self.documents(root) where body["kind"]?.stringValue == "streamer" {
            let big = body["run"]?.intValue == 100_002 && body["lumi"]?.intValue == 3
            #expect(body["events"]?.intValue == (big ? 5 * ReplaySettings.oversizeFactor : 5))
        }
    }

    // MARK: The expectation

    @Test func theExpectationListsEveryEventInEveryDatasetWhosePathsItFired() throws {
        let root = try Self.spool()
        let run = Self.replay(["--spool", root, "--expect", root + "/expect.json", "--empty-lumis", "1", "--oversized-lumi", "100001:2"] + Self.shape)
        #expect(run.code == 0, "\(run.output.stderr)")
        // Recompute from the files alone, with the masks written out above.
        var recomputed: [String: Set<String>] = Dictionary(uniqueKeysWithValues: Self.masks.keys.map { ($0, []) })
        var eventsPerStream: [String: Int] = [:]
        for (_, body) in try Self.documents(root) where body["kind"]?.stringValue == "streamer" {
            let stream = try #require(body["stream"]?.stringValue)
            try EventFileReader(path: try #require(body["path"]?.stringValue)).forEach { record in
                eventsPerStream[stream, default: 0] += 1
                for (dataset, selection) in Self.masks where selection.stream == stream && record.passes(triggerMask: selection.mask) {
                    recomputed[dataset]!.insert(record.description)
                }
            }
        }
        let expectation = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: root + "/expect.json"))))
        let datasets = try #require(expectation.objectValue?["datasets"]?.objectValue)
        #expect(Set(datasets.keys) == Set(Self.masks.keys))
        for (dataset, events) in datasets {
            let listed = events.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(listed.count == Set(listed).count, "\(dataset) lists an event twice")
            #expect(Set(listed) == recomputed[dataset], "\(dataset)")
            #expect(!listed.isEmpty, "every path fires for a share of events")
        }
        #expect(datasets["StreamExpress"]?.arrayValue?.count == eventsPerStream["Express"], "Stream<name> holds every express event")
        // Every event of a stream was accepted by one of its PDs' paths.
        let physics = Set(["Muon", "EGamma", "JetMET"].flatMap { recomputed[$0]! })
        #expect(physics.count == eventsPerStream["Physics"])
        #expect(run.output.stdout.contains("expect Muon: \(recomputed["Muon"]!.count) events"))
    }
}
