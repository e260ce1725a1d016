import Foundation
import TestSupport
import Testing

/// Issue 8's README path: the README's first command, `scripts/demo`, completes the example request
/// and puts its output datasets in the catalog. The default suite runs the script with the debug build
/// (`WM_BIN`); `WM_README_TEST=1` runs it as a newcomer would — in a fresh `git clone`, release build
/// and all (several minutes).
@Suite struct OperationsReadmeTests {
    static let datasets = ["/DemoMinBias/Demo2026-demo-v1/AODSIM", "/DemoMinBias/Demo2026-demo-v1/DQMIO",
                           "/DemoMinBias/Demo2026-demo-v1/GEN-SIM", "/DemoMinBias/Demo2026-demo-v1/GEN-SIM-RAW"]

    /// Checks what a finished `scripts/demo` run printed and left in its spool.
    func expectDemoFinished(_ result: TestSupport.RunResult, spool root: String) throws {
        #expect(result.status == 0, "scripts/demo exited \(result.status): \(result.stderr.suffix(1500))")
        let submitted = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("demo: submitted ") })
        let name = String(submitted.dropFirst("demo: submitted ".count).prefix { $0 != ";" })
        for dataset in Self.datasets { #expect(result.stdout.contains(dataset + "  blocks 1"), "\(dataset) listed: \(result.stdout)") }
        let spool = try ProgramSpool(root: root)
        #expect(spool.requestStatus(name) == "completed", "\(name) in \(root)")
        let content = try spool.catalogContent()
        #expect(content.datasets.map(\.name) == Self.datasets)
        #expect(content.datasetsWithoutEveryEventOnce(count: 2000).isEmpty, "\(content)")
        #expect(FileManager.default.fileExists(atPath: root + "/archive/summaries/\(name).txt"), "the workflow summary the demo points to")
    }

    @Test func demoScriptCompletesTheExampleWithTheBuiltPrograms() throws {
        let root = TestSupport.temporaryDirectory("readme") + "/spool"
        let result = try TestSupport.run(TestSupport.packageRoot + "/scripts/demo", [root],
                                         environment: ["WM_BIN": TestSupport.productsDirectory, "WM_SPOOL": ""])
        try expectDemoFinished(result, spool: root)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["WM_README_TEST"] == "1", "set WM_README_TEST=1: clones and builds (release)"),
          .timeLimit(.minutes(60)))
    func demoScriptWorksOnAFreshClone() throws {
        let scratch = TestSupport.temporaryDirectory("readme-clone")
        let clone = try TestSupport.run("/usr/bin/env", ["git", "clone", "--quiet", TestSupport.packageRoot, scratch + "/repo"])
        try #require(clone.status == 0, "git clone: \(clone.stderr)")
        let result = try TestSupport.run(scratch + "/repo/scripts/demo", [scratch + "/spool"], environment: ["WM_BIN": "", "WM_SPOOL": ""])
        try expectDemoFinished(result, spool: scratch + "/spool")
    }
}
