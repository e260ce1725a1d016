import EventFiles
import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import Commands
@testable import Operator
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

@Suite struct CatalogStoreTests {
    static let dataset = "/PD/Era-Proc-v1/RECO"

    /// Places NOTUPLOADED files in the DBS buffer, as the accountant does.
    func buffer(_ f: AccountingFixture, count: Int, prefix: String = "f", events: Int = 10, size: Int = 1000,
                parents: [String] = [], workflow: String = "wf", dataset: String = CatalogStoreTests.dataset) throws -> [String] {
        try f.spool.ensureDirectories([AccountingAreas.dbsBufferFiles])
        var lfns: [String] = []
        try f.spool.inBatch { batch in
            for i in 0..<count {
                let lfn = "/store/data/Era/PD/RECO/Proc-v1/00000/\(prefix)\(i).root"
                let file = DBSBufferFile(lfn: lfn, dataset: dataset, location: "T2_CH_CERN", size: size, events: events,
                                         adler32: "0000abcd", cksum: "1", lumis: [LumiSection(run: 1, lumi: i + 1, events: events)],
                                         parents: parents, workflow: workflow, task: "/wf/Proc", outputModule: "Merged",
                                         release: "CMSSW_14_0_0", globalTag: "GT", prepID: nil, insertTime: f.clock.now + Double(i))
                try batch.publish(try encodeDocument(file), as: FileKey.of(lfn) + ".json", in: AccountingAreas.dbsBufferFiles)
                lfns.append(lfn)
            }
        }
        return lfns
    }

    func blockDocs(_ f: AccountingFixture, _ state: BlockState) throws -> [BlockBody] {
        let area = DBSUploadStage.blockArea(f.spool)
        return try area.scan(state).compactMap { name in
            if case .document(let doc) = try area.load(name, in: state) { return doc.body }
            return nil
        }
    }

    @Test func manySmallFilesMakeSeveralBlocksNoneOver500() throws {
        let f = try AccountingFixture("cat-blocks")
        _ = try buffer(f, count: 1234)
        _ = try DBSUploadStage().runCycle(f.context())
        let uploaded = try blockDocs(f, .inDBS)
        #expect(uploaded.map(\.files.count) == [500, 500])
        let open = try blockDocs(f, .open)
        #expect(open.map(\.files.count) == [234])
        // The workflow completes: the last block closes and is uploaded.
        try f.spool.ensureDirectories([AccountingAreas.dbsBufferCompleted])
        try f.spool.publish([], as: "wf", in: AccountingAreas.dbsBufferCompleted)
        _ = try DBSUploadStage().runCycle(f.context())
        let catalog = try #require(CatalogStore(spool: f.spool).dataset(named: Self.dataset))
        #expect(catalog.blocks.count == 3)
        #expect(catalog.blocks.allSatisfy { $0.files.count <= 500 })
        #expect(catalog.files.count == 1234)
        #expect(try f.spool.scan(AccountingAreas.dbsBufferUploaded).names.count == 1234)
        #expect(try f.spool.scan(AccountingAreas.dbsBufferFiles).names.isEmpty)
        // The RucioInjector announces each block's replicas, then closes it.
        _ = try RucioInjectorStage().runCycle(f.context())
        #expect(try blockDocs(f, .closed).count == 3)
        let outbox = try f.spool.scan(RucioInjectorStage.outbox).names
        #expect(outbox.count == 3)
        let doc = try JSONDecoder().decode(RucioInjectorStage.ReplicaDocument.self,
                                           from: Data(try #require(try f.spool.read(outbox[0], in: RucioInjectorStage.outbox))))
        #expect(doc.rse == "T2_CH_CERN" && doc.replicas.allSatisfy { $0.adler32 == "0000abcd" })
    }

    @Test func eventAndAgeLimitsCloseBlocks() throws {
        let f = try AccountingFixture("cat-events")
        _ = try buffer(f, count: 5, events: 10_000_000)
        _ = try DBSUploadStage().runCycle(f.context())
        // 25M events per block: two files (20M) per block, the third would overflow.
        #expect(try blockDocs(f, .inDBS).map(\.events).sorted() == [20_000_000, 20_000_000])
        #expect(try blockDocs(f, .open).map(\.files.count) == [1])
        f.clock.advance(66_410)
        _ = try DBSUploadStage().runCycle(f.context())
        #expect(try blockDocs(f, .inDBS).count == 3)
        #expect(try blockDocs(f, .inDBS).allSatisfy { $0.history.contains { $0.to == "Pending" } })
    }

    @Test func childWaitsUntilItsParentIsInTheCatalog() throws {
        let f = try AccountingFixture("cat-parents")
        let parents = try buffer(f, count: 1, prefix: "parent")
        _ = try buffer(f, count: 1, prefix: "child", parents: parents, dataset: "/PD/Era-Proc-v1/AOD")
        _ = try DBSUploadStage(limits: BlockLimits(maxFiles: 1, maxEvents: 100, maxSize: 1 << 40, maxAge: 1e9)).runCycle(f.context())
        let catalog = CatalogStore(spool: f.spool)
        #expect(catalog.dataset(named: Self.dataset)?.files.count == 1)
        #expect(catalog.dataset(named: "/PD/Era-Proc-v1/AOD") == nil)
        _ = try DBSUploadStage(limits: BlockLimits(maxFiles: 1, maxEvents: 100, maxSize: 1 << 40, maxAge: 1e9)).runCycle(f.context())
        let child = try #require(catalog.dataset(named: "/PD/Era-Proc-v1/AOD"))
        #expect(child.files.first?.parents == parents)
    }

    @Test func importListAndLookUpThroughWmctl() throws {
        let f = try AccountingFixture("cat-wmctl")
        let block = CatalogBlock(name: Self.dataset + "#0f5e7a4c-1111-2222-3333-444455556666", locations: ["T1_US_FNAL_Disk"], files: [
            CatalogFile(lfn: "/store/data/Era/PD/RECO/Proc-v1/000/a.root", size: 10, events: 5, adler32: "00000001", cksum: "1",
                        lumis: [LumiSection(run: 7, lumi: 1), LumiSection(run: 7, lumi: 2)]),
        ])
        let bulk = BulkBlock(block: block, context: BulkBlockContext(config: BulkConfig(releaseVersion: "CMSSW_1", outputModuleLabel: "Merged", globalTag: "GT"),
                                                                  processingVersion: 1, acquisitionEra: "Era", primaryDatasetType: "data", creationDate: 0))
        let file = f.spool.root + "/block.json"
        try JSONEncoder().encode(bulk).write(to: URL(fileURLWithPath: file))
        func wmctl(_ args: [String]) -> (Int32, Wmctl.Output) {
            let out = Wmctl.Output()
            return (Wmctl.run(["--spool", f.spool.root] + args, environment: [:], stdin: { "" }, output: out), out)
        }
        #expect(wmctl(["catalog", "import", file]).1.stdout.hasPrefix("imported"))
        #expect(wmctl(["catalog", "import", file]).1.stdout.hasPrefix("already present"))
        let (code, out) = wmctl(["catalog", "datasets", "--json"])
        #expect(code == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        #expect(rows.first?["dataset"] as? String == Self.dataset && rows.first?["files"] as? Int == 1)
        #expect(wmctl(["catalog", "lumis", Self.dataset]).1.stdout == "run 7: 1 2\n")
        #expect(wmctl(["catalog", "files", "/No/Such-v1/RECO"]).0 == ExitCode.noInput.rawValue)
        // Events are read from storage: <spool>/storage/<PNN> + LFN.
        let path = f.spool.path("storage/T1_US_FNAL_Disk") + "/store/data/Era/PD/RECO/Proc-v1/000/a.root"
        try SystemCall.makeDirectories((path as NSString).deletingLastPathComponent)
        let writer = try EventFileWriter(path: path, payloadSize: 16)
        for event in 1...3 { try writer.append(EventRecord(run: 7, lumi: UInt32(event < 3 ? 1 : 2), event: UInt64(event), triggerBits: 0)) }
        _ = try writer.finish()
        #expect(wmctl(["catalog", "events", Self.dataset]).1.stdout == "7 1 1\n7 1 2\n7 2 3\n")
        // The same LFN in another block is refused.
        var other = bulk
        other.block.blockName = Self.dataset + "#99999999-1111-2222-3333-444455556666"
        #expect(throws: CatalogError.self) { try CatalogStore(spool: f.spool).insert(other) }
        // The store is the lookup the request validator uses.
        let lookup: any CatalogLookup = CatalogStore(spool: f.spool)
        #expect(lookup.dataset(named: Self.dataset)?.blocks.first?.locations == ["T1_US_FNAL_Disk"])
    }

    @Test func fjrVerbPrintsAndRefusesMalformedReports() throws {
        let f = try AccountingFixture("cat-fjr")
        try f.completeJob("j1")
        let path = JobWorkDirectory(spool: f.spool, workflow: "wf", job: "j1", retry: 0).reportPath
        let out = Wmctl.Output()
        #expect(Wmctl.run(["--spool", f.spool.root, "fjr", path, "--json"], environment: [:], stdin: { "" }, output: out) == 0)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(summary["exitCode"] as? Int == 0)
        let bad = f.spool.root + "/bad.xml"
        try Data("<FrameworkJobReport><File>".utf8).write(to: URL(fileURLWithPath: bad))
        let err = Wmctl.Output()
        #expect(Wmctl.run(["--spool", f.spool.root, "fjr", bad], environment: [:], stdin: { "" }, output: err) == ExitCode.dataError.rawValue)
        #expect(err.stderr.contains("bad.xml"))
    }
}
