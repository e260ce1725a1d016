import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import WMCore

/// A real ReqMgr2 template from WMCore's tests (TC_ProdPsi: GEN-SIM → DIGI with a transient output →
/// RECO with DQM harvesting), submitted the way the README says — config-cache entries under the ids
/// the template uses, placeholders filled with `--set` — runs to `completed` with every event once.
@Suite struct EndToEndTemplateTests {
    @Test func reqMgrTemplateRunsToCompleted() throws {
        let agent = try EndToEndAgent("template")
        defer { agent.killLeftovers() }
        let configs: [(String, String)] = [
            ("527f598f9168f0145d17417be583c7ef", #"{"outputModules": {"FEVTDEBUGoutput": {"dataTier": "GEN-SIM", "filterName": ""}}}"#),
            ("527f598f9168f0145d17417be583db58", #"{"outputModules": {"FEVTDEBUGHLToutput": {"dataTier": "GEN-SIM-DIGI-RAW", "filterName": ""}}}"#),
            ("527f598f9168f0145d17417be584029f", #"{"outputModules": {"RECOSIMoutput": {"dataTier": "GEN-SIM-RECO", "filterName": ""}, "DQMoutput": {"dataTier": "DQMIO", "filterName": ""}}}"#),
            ("527f598f9168f0145d17417be5841ef4", #"{"outputModules": {}}"#),
        ]
        for (id, text) in configs {
            #expect(try agent.addConfig(text, id: id) == id)
        }
        let template = TestSupport.packageRoot + "/Tests/WMCoreTests/Fixtures/TC_ProdPsi.json"
        let (refused, out) = agent.wmctl(["request", "submit", template, "--assign"])
        #expect(refused == 65 && out.stderr.contains("--set Team="), "placeholders are refused with how to fill them")
        let name = try agent.wmctlOK(["request", "submit", template, "--assign", "--set", "Team=production",
                                      "--set", "SiteWhitelist=T2_CH_CERN", "--set", "AcquisitionEra=Run3Test",
                                      "--set", "ProcessingString=TEST", "--set", "Campaign=Test", "--set", "RequestString=psi",
                                      "--set", "Dashboard=production", "--set", "Task1.RequestNumEvents=1000",
                                      "--set", "CustodialSites=", "--set", "NonCustodialSites="])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")
        let datasets = try agent.datasets()
        let prefix = "/RelValPsi2SToJPsiPiPi/Run3Test-TEST-v19/"
        #expect(datasets == [prefix + "GEN-SIM", prefix + "GEN-SIM-RECO", prefix + "DQMIO"], "the transient DIGI output is not a dataset")
        for dataset in datasets {
            let events = try agent.events(in: dataset)
            #expect(events.map(\.event).sorted() == Array(10001...11000), "\(dataset): FirstEvent 10001, every event once")
            #expect(Set(events.map(\.lumi)) == Set(101...110), "\(dataset): FirstLumi 101, 100 events per lumi")
        }
        // The harvest job uploaded its DQM file to the template's DQMUploadUrl (the spool's stand-in for that GUI).
        let gui = agent.spool.path("dqmgui/cmsweb.cern.ch/dqm/dev")
        let uploaded = (try? FileManager.default.contentsOfDirectory(atPath: gui)) ?? []
        #expect(uploaded.count == 1, "\(gui): \(uploaded)")
        if let file = uploaded.first {
            let text = try String(contentsOfFile: gui + "/" + file, encoding: .utf8)
            #expect(text.contains("\"eventsPerRun\"") && text.contains("1000"), "the harvested summary: \(text)")
        }
        agent.expectClean()
    }
}
