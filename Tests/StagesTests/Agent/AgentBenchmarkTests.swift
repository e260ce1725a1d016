import Foundation
import FrameworkJobReport
import SpoolKit
@testable import BatchSystems
@testable import Benchmarks
import TestSupport
import Testing
import WMCore

@Suite struct AgentBenchmarkTests {
    private func submission(_ key: String, in root: String) throws -> BatchSubmission {
        let dir = root + "/work/" + key
        try SystemCall.makeDirectories(dir)
        return BatchSubmission(key: key, jobName: String(key[..<key.lastIndex(of: "-")!]), workDirectory: dir, arguments: ["/bin/false"])
    }

    @Test func nullPayloadJobsFinishAtOnceWithASuccessReport() throws {
        let root = TestSupport.temporaryDirectory("null-payload")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        let plugin = try LocalBatchPlugin(spool: spool, site: "T2_CH_CERN", slots: 2, nullPayload: true)
        let submissions = try ["job-a-0", "job-b-3", "job-c-1"].map { try submission($0, in: root) }
        let results = plugin.submit(submissions)
        #expect(results.map { try? $0.get() } == submissions.map(\.key))
        // Two slots: the submit's scheduling ran two jobs; the next poll runs the third.
        #expect(try spool.scan("batch/local/T2_CH_CERN/finished").names.count == 2)
        let statuses = try plugin.status(submissions.map(\.key))
        for s in submissions { #expect(statuses[s.key] == .complete(exitCode: 0)) }
        #expect(try spool.scan("batch/local/T2_CH_CERN/finished").names.sorted() == submissions.map(\.key))
        // The report is a CMSSW-format FJR of a successful step at the site, with no output module.
        let report = try FrameworkJobReportReader().read(contentsOf: URL(fileURLWithPath: submissions[1].workDirectory + "/Report.3.xml"))
        #expect(report.wrapper.isStepSuccessful && report.exitCode == 0)
        #expect(report.wrapper.siteName == "T2_CH_CERN")
        #expect(report.outputFiles.isEmpty)
        #expect(!SystemCall.exists(submissions[1].workDirectory + "/stdout"))  // no process ran
        // The exit code is in the entry (no exit-code file), and no entry ever went through running/.
        #expect(submissions.allSatisfy { !SystemCall.exists($0.workDirectory + "/exit-code") })
        let entry = try SystemCall.readFile(root + "/batch/local/T2_CH_CERN/finished/job-c-1")
        #expect(String(decoding: entry, as: UTF8.self).hasSuffix("\nexit=0\n"))
        #expect(try spool.scan("batch/local/T2_CH_CERN/running").names.isEmpty)
        let started = try SystemCall.readFile(root + "/batch/local/T2_CH_CERN/started.log")
        #expect(String(decoding: started, as: UTF8.self).split(separator: "\n").sorted() == submissions.map { Substring($0.key) })
        // Submitting again finds the earlier records: nothing runs twice.
        _ = plugin.submit(submissions)
        #expect(String(decoding: try SystemCall.readFile(root + "/batch/local/T2_CH_CERN/started.log"), as: UTF8.self)
            .split(separator: "\n").count == 3)
    }

    @Test func nullPayloadNeedsTheLocalPluginAndAKnownMode() throws {
        func validate(_ compute: String) throws {
            let json = #"{"schema": 1, "sites": [{"name": "T2_CH_CERN", "state": "Normal", "stateTime": 0, "#
                + #""slots": {"pendingSlots": 1, "runningSlots": 1}, "taskSlots": {}, "compute": \#(compute), "storageElement": "T2_CH_CERN"}]}"#
            _ = try SiteConfiguration.decode(Array(json.utf8), file: "sites.json")
        }
        try validate(#"{"plugin": "local", "slots": 2, "payload": "null"}"#)
        try validate(#"{"plugin": "local", "payload": "process"}"#)
        #expect(throws: SiteConfigurationError.self) { try validate(#"{"plugin": "slurm", "payload": "null"}"#) }
        #expect(throws: SiteConfigurationError.self) { try validate(#"{"plugin": "local", "payload": "nothing"}"#) }
    }

    /// A small bench in its own temporary folder (`<folder>/spool`).
    func smallBench(_ label: String, jobs: Int, batch: Int = 500) -> AgentBenchmark.Settings {
        var settings = AgentBenchmark.Settings()
        settings.jobs = jobs
        settings.batchSize = batch
        settings.rawSeconds = 0.01
        settings.directory = TestSupport.temporaryDirectory(label) + "/spool"
        return settings
    }

    @Test func benchPushesEveryJobThroughTheStagesToTheArchive() throws {
        let settings = smallBench("bench", jobs: 60, batch: 25)
        defer { try? FileManager.default.removeItem(atPath: (settings.directory as NSString).deletingLastPathComponent) }
        let result = try AgentBenchmark(settings: settings).run()
        #expect(result.archived == 60)
        #expect(result.stages.map(\.stage) == ["wm-jobcreator", "wm-jobsubmitter", "wm-jobtracker", "wm-accountant", "wm-errorhandler", "wm-jobarchiver"])
        #expect(result.stages.map(\.jobs) == [60, 60, 60, 60, 0, 60])
        #expect(result.endToEndJobsPerSecond > 0 && result.rawDurableFilesPerSecond > 0 && result.peakMemoryMB > 0)
        #expect(!SystemCall.exists(settings.directory))  // removed unless --keep
        let json = try BenchReport.json(result)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let headline = try #require(object?["endToEndJobsPerSecond"] as? Double)
        #expect(abs(headline - result.endToEndJobsPerSecond) < 1e-9 * result.endToEndJobsPerSecond)
    }

    @Test func aPipelinedBenchRunsTheStagesTogetherAndLosesNoJob() throws {
        var settings = smallBench("bench-pipelined", jobs: 80, batch: 10)
        settings.pipelined = true
        defer { try? FileManager.default.removeItem(atPath: (settings.directory as NSString).deletingLastPathComponent) }
        let result = try AgentBenchmark(settings: settings).run()
        #expect(result.archived == 80 && result.pipelined)
        #expect(result.stages.map(\.jobs) == [80, 80, 80, 80, 0, 80])
        // Each stage ends after the ones before it (it waits for them before its last, empty cycle).
        #expect(zip(result.stages, result.stages.dropFirst()).allSatisfy { $0.seconds <= $1.seconds })
        #expect(abs(result.seconds - result.stages.last!.seconds) < 0.5)
    }

    @Test func aWarmedUpBenchTimesOnlyItsOwnJobs() throws {
        var settings = smallBench("bench-warm", jobs: 20)
        settings.warmUpJobs = 30
        settings.keep = true
        defer { try? FileManager.default.removeItem(atPath: (settings.directory as NSString).deletingLastPathComponent) }
        let result = try AgentBenchmark(settings: settings).run()
        #expect(result.archived == 20 && result.warmUpJobs == 30)
        #expect(result.stages.map(\.jobs) == [20, 20, 20, 20, 0, 20])
        // The timed jobs' work directories were the warm-up's, recycled: the pool holds 20 + 30 - 20.
        #expect(try FileManager.default.contentsOfDirectory(atPath: settings.directory + "/.spare-dirs").count == 30)
        #expect(BenchReport.summary(result).contains("after 30 warm-up jobs"))
    }

    @Test func benchRefusesAFolderThatExists() throws {
        var settings = AgentBenchmark.Settings()
        settings.directory = TestSupport.temporaryDirectory("bench-exists")
        defer { try? FileManager.default.removeItem(atPath: settings.directory) }
        #expect(throws: AgentBenchmark.Failure.self) { try AgentBenchmark(settings: settings).run() }
        #expect(SystemCall.isDirectory(settings.directory))  // never removed: it was not the bench's
    }

    @Test func crc32MatchesTheStandardCheckValueAtEveryLength() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        // Eight bytes at a time must agree with one byte at a time, whatever the tail.
        func bytewise(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        let data = (0..<67).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
        for length in 0...data.count { #expect(CRC32.checksum(Array(data.prefix(length))) == bytewise(Array(data.prefix(length)))) }
    }

    @Test func tarGzipIsReadByTarAndGunzip() throws {
        let root = TestSupport.temporaryDirectory("targz")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SystemCall.makeDirectories(root + "/job-1/sub")
        try Data("report\n".utf8).write(to: URL(fileURLWithPath: root + "/job-1/Report.1.xml"))
        let big = Data((0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })  // more than two stored deflate blocks
        try big.write(to: URL(fileURLWithPath: root + "/job-1/sub/big.bin"))
        var archive = TarGzip(modificationTime: 1_700_000_000)
        try archive.addDirectory(root + "/job-1", as: "job-1")
        try Data(archive.gzipData()).write(to: URL(fileURLWithPath: root + "/out.tar.gz"))
        let listing = try TestSupport.run("/usr/bin/tar", ["-tzf", root + "/out.tar.gz"])
        #expect(listing.status == 0)
        #expect(listing.stdout.split(separator: "\n") == ["job-1/Report.1.xml", "job-1/sub/big.bin"])
        try SystemCall.makeDirectories(root + "/x")
        #expect(try TestSupport.run("/usr/bin/tar", ["-xzf", root + "/out.tar.gz", "-C", root + "/x"]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/x/job-1/sub/big.bin")) == big)
    }
}
