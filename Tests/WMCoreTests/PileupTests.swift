import Foundation
import Testing
@testable import WMCore

/// Issue 19 item 4: a task's `MCPileup`/`DataPileup` reach its workload task, and a job gets the pileup files stored at
/// its possible sites (all of them under `TrustPUSitelists`).
@Suite struct PileupTests {
    static let dataset = CatalogDataset(name: "/PU/Era-v1/PREMIX", blocks: [
        Support.block("/PU/Era-v1/PREMIX", "fnal", at: ["T1_US_FNAL_Disk"], files: [Support.file("/store/mc/pu/fnal.root", run: 1, lumis: 1...2)]),
        Support.block("/PU/Era-v1/PREMIX", "cern", at: ["T2_CH_CERN"], files: [Support.file("/store/mc/pu/cern.root", run: 1, lumis: 3...4),
                                                                            Support.file("/store/mc/pu/bad.root", run: 1, lumis: 5...5, valid: false)]),
    ])

    @Test func jobGetsOnlyThePileupFilesAtItsSites() {
        let atCERN = PileupFile.resolve([Self.dataset], sites: ["T2_CH_CERN"], trustLocation: false)
        #expect(atCERN == [PileupFile(lfn: "/store/mc/pu/cern.root", events: 200, locations: ["T2_CH_CERN"])], "invalid files never")
        let atFNAL = PileupFile.resolve([Self.dataset], sites: ["T1_US_FNAL"], trustLocation: false)
        #expect(atFNAL.map(\.lfn) == ["/store/mc/pu/fnal.root"], "T1_US_FNAL_Disk is T1_US_FNAL's storage")
        #expect(PileupFile.resolve([Self.dataset], sites: ["T2_DE_DESY"], trustLocation: false).isEmpty)
    }

    @Test func trustPUSitelistsIgnoresLocation() {
        let files = PileupFile.resolve([Self.dataset], sites: ["T2_DE_DESY"], trustLocation: true)
        #expect(files.map(\.lfn) == ["/store/mc/pu/cern.root", "/store/mc/pu/fnal.root"])
    }

    @Test func pileupFilesSurviveTheirJSONFormAndBadEntriesAreRefused() {
        let files = PileupFile.resolve([Self.dataset], sites: ["T2_CH_CERN", "T1_US_FNAL"], trustLocation: false)
        #expect(PileupFile.list(json: PileupFile.json(files)) == files)
        #expect(PileupFile.list(json: .array([.object(["lfn": .string("relative.root"), "events": .int(1), "locations": .array([])])])) == nil)
        #expect(PileupFile.list(json: .array([.object(["lfn": .string("/a.root"), "events": .int(-1), "locations": .array([])])])) == nil)
    }

    @Test(arguments: ["TC_6Tasks_PU", "SC_6Tasks_PU"])
    func templatePileupReachesTheTaskThatMixesIt(name: String) throws {
        let run = try Support.run(name)
        let withPileup = run.workload.tasks.filter { $0.pileup != nil }
        #expect(withPileup.count == 1, "\(withPileup.map(\.name))")
        #expect(withPileup.first?.pileup?.datasets == [Support.pileup])
        #expect(withPileup.first?.pileup?.trustLocation == false)
        let trusted = try Support.run(name, extra: ["TrustPUSitelists": .bool(true)])
        #expect(trusted.workload.tasks.contains { $0.pileup?.trustLocation == true })
    }
}
