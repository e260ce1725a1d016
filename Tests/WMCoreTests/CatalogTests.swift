import Foundation
import Testing
@testable import WMCore

/// The catalog model: insertBulkBlock JSON in and out, and input selection.
@Suite struct CatalogTests {
    /// An insertBulkBlock body as DBS3Upload sends it (§8): two files, one with per-lumi event counts.
    static let bulkJSON = """
    {
      "dataset_conf_list": [{"release_version": "CMSSW_12_0_0", "pset_hash": "GIBBERISH", "app_name": "cmsRun",
                             "output_module_label": "Merged", "global_tag": "120X_mcRun3_2021_realistic_v4"}],
      "file_conf_list": [
        {"release_version": "CMSSW_12_0_0", "pset_hash": "GIBBERISH", "app_name": "cmsRun", "output_module_label": "Merged",
         "global_tag": "120X_mcRun3_2021_realistic_v4", "lfn": "/store/mc/Run3Test/RelValPsi/GEN-SIM/TEST_v1-v19/0000/A.root"},
        {"release_version": "CMSSW_12_0_0", "pset_hash": "GIBBERISH", "app_name": "cmsRun", "output_module_label": "Merged",
         "global_tag": "120X_mcRun3_2021_realistic_v4", "lfn": "/store/mc/Run3Test/RelValPsi/GEN-SIM/TEST_v1-v19/0000/B.root"}
      ],
      "files": [
        {"file_type": "EDM", "logical_file_name": "/store/mc/Run3Test/RelValPsi/GEN-SIM/TEST_v1-v19/0000/A.root",
         "file_size": 2048000, "event_count": 200, "last_modified_by": "WMAgent", "last_modification_date": 1750000000,
         "auto_cross_section": 0.0, "check_sum": "3851325734", "adler32": "0a1b2c3d", "md5": "NOTSET",
         "file_lumi_list": [{"lumi_section_num": 101, "run_num": 1, "event_count": 100},
                            {"lumi_section_num": 102, "run_num": 1, "event_count": 100}]},
        {"file_type": "EDM", "logical_file_name": "/store/mc/Run3Test/RelValPsi/GEN-SIM/TEST_v1-v19/0000/B.root",
         "file_size": 1024000, "event_count": 100, "last_modified_by": "WMAgent", "last_modification_date": 1750000000,
         "auto_cross_section": 0.0, "check_sum": "17", "adler32": "ffff0001", "md5": "NOTSET",
         "file_lumi_list": [{"lumi_section_num": 103, "run_num": 1}]}
      ],
      "block": {"block_name": "/RelValPsi/Run3Test-TEST_v1-v19/GEN-SIM#3c2e1f7a-5b7e-4d2c-9f51-0a9c4b1e2d33",
                "origin_site_name": "T1_US_FNAL_Disk", "open_for_writing": 0, "create_by": "WMAgent",
                "creation_date": 1750000000, "block_size": 3072000, "file_count": 2},
      "processing_era": {"processing_version": 19, "create_by": "WMAgent", "description": ""},
      "acquisition_era": {"acquisition_era_name": "Run3Test", "start_date": 0},
      "primds": {"primary_ds_name": "RelValPsi", "primary_ds_type": "mc", "create_by": "WMAgent", "creation_date": 1750000000},
      "dataset": {"physics_group_name": "NoGroup", "processed_ds_name": "Run3Test-TEST_v1-v19", "data_tier_name": "GEN-SIM",
                  "dataset_access_type": "VALID", "dataset": "/RelValPsi/Run3Test-TEST_v1-v19/GEN-SIM", "prep_id": "TEST-00001"},
      "file_parent_list": [{"parent_logical_file_name": "/store/mc/parent/P.root",
                            "logical_file_name": "/store/mc/Run3Test/RelValPsi/GEN-SIM/TEST_v1-v19/0000/A.root"}],
      "dataset_parent_list": []
    }
    """

    @Test func bulkBlockRoundTrip() throws {
        let bulk = try JSONDecoder().decode(BulkBlock.self, from: Data(Self.bulkJSON.utf8))
        // JSON → Codable → JSON → Codable is lossless.
        let again = try JSONDecoder().decode(BulkBlock.self, from: JSONEncoder().encode(bulk))
        #expect(again == bulk)
        // JSON → catalog model → JSON gives the same body.
        let block = try CatalogBlock(bulk: bulk)
        #expect(block.dataset == "/RelValPsi/Run3Test-TEST_v1-v19/GEN-SIM")
        #expect(block.locations == ["T1_US_FNAL_Disk"] && !block.isOpen)
        #expect(block.files.count == 2 && block.size == 3_072_000 && block.events == 300)
        let a = try #require(block.files.first)
        #expect(a.lumis == [LumiSection(run: 1, lumi: 101, events: 100), LumiSection(run: 1, lumi: 102, events: 100)])
        #expect(a.parents == ["/store/mc/parent/P.root"] && a.adler32 == "0a1b2c3d" && a.cksum == "3851325734")
        #expect(block.files[1].lumis == [LumiSection(run: 1, lumi: 103)])
        let rendered = BulkBlock(block: block, context: BulkBlockContext(of: bulk))
        #expect(rendered == bulk)
        // Keys are DBS's snake_case names.
        let keys = try #require(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(rendered)).objectValue).keys
        #expect(Set(keys) == ["dataset_conf_list", "file_conf_list", "files", "block", "processing_era", "acquisition_era",
                              "primds", "dataset", "file_parent_list", "dataset_parent_list"])
    }

    @Test func datasetParentsReplaceFileParentage() throws {
        var bulk = try JSONDecoder().decode(BulkBlock.self, from: Data(Self.bulkJSON.utf8))
        bulk.datasetParentList = ["/RelValPsi/Parent-v1/GEN"]
        let rendered = BulkBlock(block: try CatalogBlock(bulk: bulk), context: BulkBlockContext(of: bulk))
        #expect(rendered.fileParentList.isEmpty)
        #expect(rendered.datasetParentList == ["/RelValPsi/Parent-v1/GEN"])
    }

    @Test func malformedNamesAreRefused() throws {
        var bulk = try JSONDecoder().decode(BulkBlock.self, from: Data(Self.bulkJSON.utf8))
        bulk.block.blockName = "/Other/Run3Test-v1/RAW#x"
        #expect(throws: BulkBlockError.blockNotInDataset(block: "/Other/Run3Test-v1/RAW#x",
                                                         dataset: "/RelValPsi/Run3Test-TEST_v1-v19/GEN-SIM")) {
            try CatalogBlock(bulk: bulk)
        }
        bulk.dataset.dataset = "RelValPsi"
        #expect(throws: BulkBlockError.badDatasetName("RelValPsi")) { try CatalogBlock(bulk: bulk) }
    }

    @Test func datasetNamesFollowTheLexicon() {
        #expect(DatasetName("/MuonEG/Run2022C-v1/RAW")?.tier == "RAW")
        #expect(DatasetName("/JetMET0/Run2024D-2024CDEReprocessing-v1/DQMIO")?.processed == "Run2024D-2024CDEReprocessing-v1")
        #expect(DatasetName("/1Muon/Run2022C-v1/RAW") == nil)        // primary must start with a letter
        #expect(DatasetName("/MuonEG/Run2022C/RAW") == nil)          // processed needs -v<N>
        #expect(DatasetName("/MuonEG/Run2022C-v1/raw") == nil)       // tier upper case
        #expect(DatasetName("/MuonEG/Run2022C-v1") == nil)
    }

    @Test func selectionByBlockRunAndLumiLists() throws {
        let dataset = try #require(Support.catalog.dataset(named: Support.muonEG))
        #expect(dataset.select(InputSelection()).count == 4)
        let white = dataset.select(InputSelection(blockWhitelist: ["\(Support.muonEG)#a", "\(Support.muonEG)#b"],
                                                  blockBlacklist: ["\(Support.muonEG)#b"]))
        #expect(white.map(\.block.name) == ["\(Support.muonEG)#a"])
        let runs = dataset.select(InputSelection(runWhitelist: [356164, 356165], runBlacklist: [356165]))
        #expect(runs.map(\.block.name) == ["\(Support.muonEG)#a"])
        #expect(runs.first?.fileCount == 2 && runs.first?.lumiCount == 11)
        let mask = LumiList([356164: [12...13, 19...19]])
        let masked = dataset.select(InputSelection(lumiList: mask))
        #expect(masked.count == 1)
        #expect(masked.first?.files.map(\.lumis.count) == [2, 1])
        #expect(masked.first?.eventCount == 300)   // 3 lumis × 100 events
        #expect(masked.first?.runs == [356164])
    }

    @Test func lumiListParsing() {
        guard case .success(let list) = LumiList.parse(.object(["1": .array([.array([.int(1), .int(3)]), .array([.int(7), .int(7)])])])) else {
            Issue.record("valid lumi list refused")
            return
        }
        #expect(list.lumiCount == 4 && list.contains(run: 1, lumi: 2) && !list.contains(run: 1, lumi: 5))
        #expect(LumiList.parse(.object(["x": .array([])])) == .failure(.badRun("x")))
        #expect(LumiList.parse(.object(["1": .array([.array([.int(5), .int(2)])])])) == .failure(.badRanges(run: "1")))
        #expect(LumiList.parse(.string("1:1-5")) == .failure(.notAnObject(found: "string")))
    }
}
