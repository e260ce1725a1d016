import Testing
import JobSplitting
import WMCore
@testable import Tier0

/// The Express workload's task tree (§A.5, WMCore `Express.py`): DQM harvesting of the merged DQMIO (end of run, plus a
/// periodic one with `periodicHarvestInterval`), and with `alcaSkims` ExpressAlcaSkim → AlcaHarvest → Condition.
@Suite struct ExpressWorkloadTests {
    static let menu = try! #require(try ConfigurationTests.decode(ConfigurationTests.example).menus["/cdaq/physics/v1/HLT/V3"])

    func workload(_ change: (inout ExpressSettings) -> Void = { _ in }) -> Workload {
        var settings = ExpressSettings()
        change(&settings)
        return Tier0Workloads.express(run: 7, stream: "Express", menu: Self.menu, era: "Run2026A", settings: settings)
    }

    let top = "/Express_Run7_StreamExpress/Express"

    /// The task paths below `top`, relative to it.
    func paths(_ workload: Workload) -> Set<String> {
        Set(workload.tasks.map { String($0.path.dropFirst(top.count)) })
    }

    func task(_ workload: Workload, _ suffix: String) throws -> WorkloadTask {
        try #require(workload.tasks.first { $0.path.hasSuffix(suffix) }, "a task ending \(suffix) in \(paths(workload).sorted())")
    }

    /// The DQMIO merge of the Stream<name> dataset.
    func dqmMerge(_ workload: Workload) throws -> WorkloadTask {
        try #require(workload.tasks.first { $0.type == .merge && $0.outputs.contains { $0.tier == "DQMIO" } })
    }

    /// The example menu names the express stream's primary dataset `StreamExpress`, which is also the stream dataset:
    /// one FEVT output for it (every event), never two tasks on one path.
    @Test func aMenuDatasetNamedAsTheStreamDatasetGivesOneOutputAndUniquePaths() throws {
        let w = workload()
        #expect(w.tasks.count == Set(w.tasks.map(\.path)).count, "\(w.tasks.map(\.path).sorted())")
        let fevt = try #require(w.tasks.first).outputs.filter { $0.tier == "FEVT" }
        #expect(fevt.map(\.module) == ["write_StreamExpress_FEVT"] && fevt.first?.filterMask == 0)
    }

    @Test func withoutIntervalOrSkimsOnlyAnEndOfRunHarvestOfTheMergedDQMIO() throws {
        let w = workload()
        let harvests = w.tasks.filter { $0.type == .harvesting }
        #expect(harvests.count == 1)
        let merge = try dqmMerge(w)
        let harvest = try #require(harvests.first)
        #expect(harvest.name == merge.name + "DQMHarvestEndOfRunMerged" && harvest.path == merge.path + "/" + harvest.name)
        #expect(harvest.input == .taskOutput(taskPath: merge.path, module: "Merged"))
        #expect(harvest.splitting.algorithm == "Harvest")
        #expect(harvest.splitting.parameters["periodic_harvest_interval"]?.intValue == 0)
        #expect(harvest.splitting.parameters["periodic_harvest_sibling"] == nil)
        #expect(harvest.splitting.parameters["dqmHarvestUnit"]?.stringValue == "byRun")
        #expect(harvest.dqmUploadURL == ExpressCalibration.dqmUploadURL)
        #expect(!paths(w).contains { $0.contains("AlcaSkim") || $0.contains("AlcaHarvest") || $0.contains("Condition") })
        #expect(!w.tasks.contains { $0.splitting.algorithm == Tier0Algorithm.alcaHarvest.rawValue
            || $0.splitting.algorithm == Tier0Algorithm.condition.rawValue })
    }

    @Test func aPeriodicIntervalAddsAPeriodicHarvestWhoseEndOfRunSiblingWaits() throws {
        let w = workload { $0.periodicHarvestInterval = 1200 }
        let merge = try dqmMerge(w)
        let harvests = w.tasks.filter { $0.type == .harvesting }
        #expect(harvests.map(\.name).sorted() == [merge.name + "DQMHarvestEndOfRunMerged", merge.name + "DQMHarvestPeriodicMerged"])
        let periodic = try task(w, "DQMHarvestPeriodicMerged")
        #expect(periodic.splitting.parameters["periodic_harvest_interval"]?.intValue == 1200)
        #expect(periodic.input == .taskOutput(taskPath: merge.path, module: "Merged"))
        let endOfRun = try task(w, "DQMHarvestEndOfRunMerged")
        #expect(endOfRun.splitting.parameters["periodic_harvest_interval"]?.intValue == 0)
        #expect(endOfRun.splitting.parameters["periodic_harvest_sibling"]?.boolValue == true)
        #expect(harvests.allSatisfy { $0.dqmUploadURL == ExpressCalibration.dqmUploadURL })
    }

    @Test func alcaSkimsAddSkimThenAlcaHarvestThenConditionForPromptCalibSkimsAndAMergeForTheOthers() throws {
        let w = workload {
            $0.alcaSkims = ["TkAlMinBias", "PromptCalibProdSiStrip"]
            $0.alcaHarvestTimeout = 43_200
        }
        let express = try #require(w.tasks.first)
        let alcareco = try #require(express.outputs.first { $0.tier == "ALCARECO" && $0.dataset.hasPrefix("/StreamExpress/") })
        let skim = try task(w, "/ExpressAlcaSkim\(alcareco.module)")
        #expect(skim.path == top + "/ExpressAlcaSkim\(alcareco.module)")
        #expect(skim.input == .taskOutput(taskPath: top, module: alcareco.module))
        #expect(skim.splitting.algorithm == Tier0Algorithm.expressMerge.rawValue)
        #expect(skim.outputs.map(\.module) == ["ALCARECOStreamTkAlMinBias", "ALCARECOStreamPromptCalibProdSiStrip"])
        #expect(skim.outputs.map(\.tier) == ["ALCARECO", ExpressCalibration.alcaPromptTier])
        #expect(skim.outputs.map(\.dataset) == ["/StreamExpress/Run2026A-TkAlMinBias-Express-v1/ALCARECO",
                                                "/StreamExpress/Run2026A-PromptCalibProdSiStrip-Express-v1/ALCAPROMPT"])

        // The ALCARECO skim merges; the ALCAPROMPT one is harvested into conditions instead.
        let skimMerge = try task(w, skim.name + "/ExpressMergeALCARECOStreamTkAlMinBias")
        #expect(skimMerge.type == .merge && skimMerge.input == .taskOutput(taskPath: skim.path, module: "ALCARECOStreamTkAlMinBias"))
        #expect(!w.tasks.contains { $0.type == .merge && $0.input == .taskOutput(taskPath: skim.path, module: "ALCARECOStreamPromptCalibProdSiStrip") })

        let harvest = try task(w, "/\(skim.name)AlcaHarvestALCARECOStreamPromptCalibProdSiStrip")
        #expect(harvest.path == skim.path + "/" + harvest.name)
        #expect(harvest.input == .taskOutput(taskPath: skim.path, module: "ALCARECOStreamPromptCalibProdSiStrip"))
        #expect(harvest.splitting.algorithm == Tier0Algorithm.alcaHarvest.rawValue)
        #expect(try AlcaHarvestParameters(subscription: SplitParameters(harvest.splitting.parameters)).timeout == 43_200)
        #expect(harvest.outputs.map(\.module) == [ExpressCalibration.conditionLabel])
        #expect(harvest.outputs.map(\.tier) == [ExpressCalibration.conditionTier])
        #expect(harvest.outputs.first?.dataset == "", "a conditions payload is never a catalog dataset")

        let condition = try task(w, "/\(harvest.name)ConditionSqlite")
        #expect(condition.path == harvest.path + "/" + condition.name)
        #expect(condition.input == .taskOutput(taskPath: harvest.path, module: ExpressCalibration.conditionLabel))
        #expect(condition.splitting.algorithm == Tier0Algorithm.condition.rawValue)
        #expect(condition.outputs.isEmpty)
        #expect(w.tasks.filter { $0.splitting.algorithm == Tier0Algorithm.alcaHarvest.rawValue }.count == 1)
        #expect(w.tasks.filter { $0.splitting.algorithm == Tier0Algorithm.condition.rawValue }.count == 1)
        #expect(w.tasks.contains { $0.type == .logCollect && $0.path.hasPrefix(skim.path + "/") }, "the skim's LogCollect")
        let calibration = w.tasks.filter { $0.path.hasPrefix(skim.path) }.map(\.path)
        #expect(Set(calibration).count == calibration.count, "the calibration tasks' paths are unique")
        // Without the interval, the DQM harvest is still only the end-of-run one.
        #expect(w.tasks.filter { $0.type == .harvesting && $0.splitting.algorithm == "Harvest" }.count == 1)
    }

    @Test func onlyPromptCalibSkimsNeedNoSkimMerge() throws {
        let w = workload { $0.alcaSkims = ["PromptCalibProdSiStrip"] }
        let skim = try #require(w.tasks.first { $0.name.contains("AlcaSkim") })
        #expect(!w.tasks.contains { $0.type == .merge && $0.path.hasPrefix(skim.path + "/") })
        #expect(w.tasks.contains { $0.splitting.algorithm == Tier0Algorithm.condition.rawValue })
        #expect(try AlcaHarvestParameters(subscription: SplitParameters(
            try task(w, "AlcaHarvestALCARECOStreamPromptCalibProdSiStrip").splitting.parameters)).timeout == 0, "no timeout by default")
    }
}
