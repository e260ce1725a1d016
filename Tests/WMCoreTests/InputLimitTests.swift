import Foundation
import Testing
@testable import WMCore

/// Issue 17: a catalog import and an ACDC record are inputs too: every LFN must be an LFN and every number lie in its
/// range, or the block (record) is refused naming the file, the field, the value and what is allowed.
@Suite struct InputLimitTests {
    static func bulk(_ change: (inout BulkBlock) -> Void) throws -> BulkBlock {
        var bulk = try JSONDecoder().decode(BulkBlock.self, from: Data(CatalogTests.bulkJSON.utf8))
        change(&bulk)
        return bulk
    }

    @Test(arguments: [
        ("lfn", "logical_file_name", "/store/mc/../../../tmp/x.root"),
        ("size", "file_size", "-1"),
        ("events", "event_count", "9223372036854775000"),
        ("run", "file_lumi_list.run_num", "0"),
        ("lumi", "file_lumi_list.lumi_section_num", "4294967296"),
        ("lumiEvents", "file_lumi_list.event_count", "-5"),
        ("parent", "file_parent_list.parent_logical_file_name", "/store//mc/P.root"),
    ])
    func aBadFileRefusesTheBlock(change: String, field: String, value: String) throws {
        let bulk = try Self.bulk { bulk in
            switch change {
            case "lfn": bulk.files[0].logicalFileName = value
            case "size": bulk.files[0].fileSize = -1
            case "events": bulk.files[0].eventCount = 9_223_372_036_854_775_000
            case "run": bulk.files[0].fileLumiList[0].runNum = 0
            case "lumi": bulk.files[0].fileLumiList[0].lumiSectionNum = 4_294_967_296
            case "lumiEvents": bulk.files[0].fileLumiList[0].eventCount = -5
            default: bulk.fileParentList[0].parentLogicalFileName = value
            }
        }
        do {
            _ = try CatalogBlock(bulk: bulk)
            Issue.record("\(change): accepted")
        } catch let error as BulkBlockError {
            guard case let .invalidFile(_, foundField, foundValue, expected) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(foundField == field && foundValue == value && !expected.isEmpty, "\(error)")
            #expect(error.description.contains(field) && error.description.contains(value))
        }
    }

    @Test func theGoodBlockIsStillRead() throws {
        #expect(try CatalogBlock(bulk: try Self.bulk { _ in }).files.count == 2)
    }

    @Test func anACDCEntryIsChecked() {
        #expect(ACDCFile(lfn: "/store/data/a/B/RAW/v1/000/x.root", events: 10, lumis: [LumiSection(run: 1, lumi: 2, events: 10)]).problem == nil)
        #expect(ACDCFile(lfn: "MCFakeFile-wf-Task1", events: 10).problem == nil)
        // A GEN-SIM output's parent is its generator's MC fake file (the chaos test's vanished merge job left one).
        #expect(ACDCFile(lfn: "/store/unmerged/a/B/GEN-SIM/v1/00000/x.root", events: 10, parents: ["MCFakeFile-wf-GenSim-0a1b"]).problem == nil)
        #expect(ACDCFile(lfn: "/store/unmerged/a/B/GEN-SIM/v1/00000/x.root", events: 10, parents: ["/store/../x"]).problem?
            .contains("field parents '/store/../x'") == true)
        #expect(ACDCFile(lfn: "/store/unmerged/../../x.root", events: 10).problem?.contains("'..' component") == true)
        #expect(ACDCFile(lfn: "MCFakeFile/../x", events: 10).problem != nil)
        #expect(ACDCFile(lfn: "/store/data/x.root", events: -1).problem?.contains("field events -1") == true)
        #expect(ACDCFile(lfn: "/store/data/x.root", events: 1, lumis: [LumiSection(run: 0, lumi: 1, events: nil)]).problem?.contains("run 0") == true)
    }
}
