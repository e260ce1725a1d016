import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import Commands
@testable import Operator
@testable import WMCore

@Suite struct WmctlSplitTests {
    func wmctl(_ args: [String]) -> (code: Int32, output: Wmctl.Output) {
        let output = Wmctl.Output()
        let code = Wmctl.run(args, environment: [:], stdin: { "" }, output: output)
        return (code, output)
    }

    /// Writes a reference case's files (in WMCore's visit order) and parameters to a temporary folder.
    func writeInputs(_ reference: ReferenceCase, in dir: String) throws -> (files: String, params: String) {
        let files = dir + "/files.json", params = dir + "/params.json"
        try JSONEncoder().encode(reference.filesInWMCoreOrder).write(to: URL(fileURLWithPath: files))
        try reference.parametersJSON.write(to: URL(fileURLWithPath: params))
        return (files, params)
    }

    struct JSONJobs: Decodable {
        struct Job: Decodable { let input_files: [String]; let mask: JobMask }
        let jobs: [Job]
        var comparable: [ComparableJob] { jobs.map { ComparableJob(files: $0.input_files, mask: $0.mask) } }
    }

    @Test(arguments: ReferenceCase.caseNames)
    func jsonDryRunReproducesWMCore(_ name: String) throws {
        let reference = try ReferenceCase(name: name)
        let dir = TestSupport.temporaryDirectory("split-\(name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, params) = try writeInputs(reference, in: dir)
        // Parameters from a file, and inline.
        for paramsArgument in [params, String(decoding: reference.parametersJSON, as: UTF8.self)] {
            let (code, out) = wmctl(["split", "--algorithm", reference.raw.algorithm, "--type", reference.raw.subscription_type,
                                     "--params", paramsArgument, "--files", files, "--json"])
            #expect(code == 0, "\(out.stderr)")
            let doc = try JSONDecoder().decode(JSONJobs.self, from: Data(out.stdout.utf8))
            let problems = reference.mismatches([doc.comparable], flat: true, ignoringEstimates: true)
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }

    @Test func tableHasOneLinePerJobAndATotal() throws {
        let reference = try ReferenceCase(name: "eventbased_mc_1000ev_epj150")
        let dir = TestSupport.temporaryDirectory("split-table")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, params) = try writeInputs(reference, in: dir)
        let (code, out) = wmctl(["split", "--algorithm", "EventBased", "--type", "Production", "--params", params, "--files", files])
        #expect(code == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 1 + 7 + 1, "header, 7 jobs, total")
        #expect(lines[1].contains("events 1..150") && lines[1].contains("lumis 1..1"))
        #expect(lines[7].contains("events 901..1000"))
        #expect(lines.last == "total: 7 job(s), 1 file(s), 1000 event(s), 7 lumi(s)")
    }

    @Test func badArgumentsAreExplained() throws {
        let dir = TestSupport.temporaryDirectory("split-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("[{\"size\": 1}]".utf8).write(to: URL(fileURLWithPath: dir + "/bad.json"))
        let unknown = wmctl(["split", "--algorithm", "Nope", "--files", dir + "/bad.json"])
        #expect(unknown.code == ExitCode.usage.rawValue && unknown.output.stderr.contains("--algorithm 'Nope' is unknown"))
        let badFiles = wmctl(["split", "--algorithm", "FileBased", "--files", dir + "/bad.json"])
        #expect(badFiles.code == ExitCode.dataError.rawValue)
        #expect(badFiles.output.stderr.contains("bad.json") && badFiles.output.stderr.contains("'[0].lfn' is missing"))
        let badParams = wmctl(["split", "--algorithm", "FileBased", "--params", "{nope", "--files", dir + "/bad.json"])
        #expect(badParams.code == ExitCode.dataError.rawValue && badParams.output.stderr.contains("--params"))
        let none = wmctl(["split"])
        #expect(none.code == ExitCode.usage.rawValue && none.output.stderr.contains("--subscription WORKFLOW/SUBSCRIPTION"))
        _ = try Spool(root: dir)  // a spool (programs refuse a folder that is not one)
        let missing = wmctl(["--spool", dir, "split", "--subscription", "Req/Nope"])
        #expect(missing.code == ExitCode.noInput.rawValue && missing.output.stderr.contains("no subscription 'Nope'"))
    }

    @Test func subscriptionAndRequestDryRunsMatchWhatTheStageMakesAndChangeNothing() throws {
        let f = try WMBSFixture("split-spool")
        let lumi = WMBSFixture.subscription("Lumi", algorithm: .lumiBased, parameters: ["lumis_per_job": 4])
        let files = WMBSFixture.subscription("Files", algorithm: .fileBased, parameters: ["files_per_job": 3])
        try f.subscribe(lumi, open: false)
        try f.subscribe(files)
        try f.add(WMBSFixture.files(10), to: lumi.inputFileset)  // 30 lumis → 8 jobs
        try f.add(WMBSFixture.files(7, prefix: "/store/b"), to: files.inputFileset)  // 3 jobs

        let one = wmctl(["--spool", f.spool.root, "split", "--subscription", "\(f.workflow)/Lumi"])
        #expect(one.code == 0, "\(one.output.stderr)")
        #expect(one.output.stdout.contains("total: 8 job(s), 10 file(s), 3000 event(s), 30 lumi(s)"))
        let request = wmctl(["--spool", f.spool.root, "split", "--request", f.workflow, "--json"])
        #expect(request.code == 0, "\(request.output.stderr)")
        struct Doc: Decodable { let subscriptions: [String: JSONJobs] }
        let doc = try JSONDecoder().decode(Doc.self, from: Data(request.output.stdout.utf8))
        #expect(doc.subscriptions.mapValues(\.jobs.count) == ["Lumi": 8, "Files": 3])
        let text = wmctl(["--spool", f.spool.root, "split", "--request", f.workflow])
        #expect(text.output.stdout.contains("request \(f.workflow): 11 job(s) in 2 subscription(s)"))

        // Nothing changed; then the stage makes exactly the jobs the dry run showed.
        #expect(try f.jobs(in: .created).isEmpty)
        #expect(try f.fileKeys("Lumi", .available).count == 10)
        try f.runCycle()
        let made = try f.jobs(in: .created)
        for (sub, planned) in doc.subscriptions {
            let actual = made.filter { $0.subscription == sub }.map { ComparableJob(files: $0.inputFiles.map(\.lfn), mask: $0.mask) }
            #expect(actual == planned.comparable, "\(sub)")
        }
    }

    @Test func theBuiltWmctlPrintsTheSameJSON() throws {
        let program = TestSupport.executable("wmctl")
        #expect(FileManager.default.isExecutableFile(atPath: program), "build wmctl first (swift build)")
        let reference = try ReferenceCase(name: "lumibased_2runs_lpj4")
        let dir = TestSupport.temporaryDirectory("split-exe")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, params) = try writeInputs(reference, in: dir)
        let args = ["split", "--algorithm", "LumiBased", "--params", params, "--files", files, "--json"]
        let result = try TestSupport.run(program, args)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == wmctl(args).output.stdout)
        let doc = try JSONDecoder().decode(JSONJobs.self, from: Data(result.stdout.utf8))
        #expect(reference.mismatches([doc.comparable], flat: true, ignoringEstimates: true).isEmpty)
    }
}
