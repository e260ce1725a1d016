import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// The job creator's bounded cycles: at most `jobsPerCycle` jobs of a subscription per cycle, the rest in later
/// cycles, every file in exactly one job group.
@Suite struct JobCreatorBoundTests {
    /// Runs one cycle of a new stage (as a new process would) making at most `limit` jobs per subscription.
    func cycle(_ f: WMBSFixture, limit: Int) throws -> Int {
        try JobCreatorStage(jobsPerCycle: limit).runCycle(f.base.context).done
    }

    /// The job-group folder of a subscription.
    func groups(_ f: WMBSFixture, _ sub: String) -> String { f.store.subscriptionFolder(f.workflow, sub) + "/jobgroups" }

    @Test func aCycleMakesAtMostJobsPerCycleAndLaterCyclesTheRest() throws {
        let f = try WMBSFixture("jc-bound")
        let sub = WMBSFixture.subscription("Proc", algorithm: .fileBased, parameters: ["files_per_job": 2])
        try f.subscribe(sub, open: false)
        let files = WMBSFixture.files(25)
        try f.add(files, to: sub.inputFileset)

        #expect(try cycle(f, limit: 5) == 5)
        #expect(try f.jobs(in: .created).count == 5)
        #expect(try f.fileKeys("Proc", .acquired).count == 10 && f.fileKeys("Proc", .available).count == 15,
                "the files of the jobs not made yet stay available")
        #expect(try cycle(f, limit: 5) == 5)
        #expect(try cycle(f, limit: 5) == 3, "the last job reads the 25th file alone")
        #expect(try cycle(f, limit: 5) == 0)

        let jobs = try f.jobs(in: .created)
        #expect(jobs.map { String(JobName.numberText(of: $0.name)) } == (1...13).map { JobName.paddedNumber($0) }, "numbered 1...13, none twice")
        #expect(jobs.flatMap { $0.inputFiles.map(\.lfn) }.sorted() == files.map(\.lfn).sorted(), "every file in exactly one job")
        #expect(try f.fileKeys("Proc", .available).isEmpty && f.fileKeys("Proc", .acquired) == Set(files.map { FileKey.of($0.lfn) }))
        #expect(try f.spool.scan(groups(f, "Proc") + "/done").names.count == 3, "one job group per cycle")
        #expect(try f.spool.scan(groups(f, "Proc") + "/pending").names.isEmpty)
    }

    @Test func aGroupEndsOnlyWhereNoFileIsReadOnBothSides() throws {
        let f = try WMBSFixture("jc-bound-shared")
        let sub = WMBSFixture.subscription("EB", algorithm: .eventBased, parameters: ["events_per_job": 100])
        try f.subscribe(sub, open: false)
        let files = WMBSFixture.files(5)  // 300 events each: three jobs read each file
        try f.add(files, to: sub.inputFileset)

        #expect(try cycle(f, limit: 4) == 6, "4 jobs would leave the second file's third job for later: the group takes 6")
        #expect(try f.fileKeys("EB", .acquired).count == 2 && f.fileKeys("EB", .available).count == 3)
        #expect(try cycle(f, limit: 4) == 6)
        #expect(try cycle(f, limit: 4) == 3)
        #expect(try cycle(f, limit: 4) == 0)

        let jobs = try f.jobs(in: .created)
        #expect(jobs.count == 15)
        var eventsRead: [String: [Int]] = [:]
        for job in jobs {
            for file in job.inputFiles { eventsRead[file.lfn, default: []].append(job.mask.firstEvent ?? -1) }
        }
        #expect(eventsRead.count == 5 && eventsRead.values.allSatisfy { $0.sorted() == [0, 100, 200] },
                "each file's three event ranges, once each: \(eventsRead)")
        #expect(try f.fileKeys("EB", .acquired) == Set(files.map { FileKey.of($0.lfn) }))
    }

    @Test func aHugeSubscriptionIsSplitFromAPartOfItsFilesPerCycleEveryLumiOnce() throws {
        let f = try WMBSFixture("jc-bound-portion")
        let sub = WMBSFixture.subscription("Lumi", algorithm: .lumiBased, parameters: ["lumis_per_job": 2])
        try f.subscribe(sub, open: false)
        let files = WMBSFixture.files(25)  // lumis 1...75, three per file: jobs span files
        for start in stride(from: 0, to: 25, by: 5) { try f.add(Array(files[start..<(start + 5)]), to: sub.inputFileset) }
        #expect(try f.store.documents(f.workflow, "Lumi", in: .available).count == 5, "five bundles of five files")

        var cycles = 0
        while try cycle(f, limit: 2) > 0 { cycles += 1 }
        #expect(cycles > 5, "a part of the files per cycle (\(cycles) cycles)")
        var lumis: [Int: Int] = [:]
        for job in try f.jobs(in: .created) {
            for entry in job.mask.runAndLumis {
                for range in entry.ranges { for lumi in range[0]...range[1] { lumis[lumi, default: 0] += 1 } }
            }
        }
        #expect(lumis.keys.sorted() == Array(1...75) && lumis.values.allSatisfy { $0 == 1 }, "every lumi in exactly one job")
        #expect(try f.fileKeys("Lumi", .available).isEmpty && f.fileKeys("Lumi", .acquired) == Set(files.map { FileKey.of($0.lfn) }))
        let copies = try f.store.documents(f.workflow, "Lumi", in: .acquired).reduce(0) { $0 + $1.files.count }
        #expect(copies == 25, "no file in two acquired documents")
    }

    @Test func groupEndIsTheFirstCleanCutAtOrPastTheLimit() {
        // Jobs reading available files 0, 0, 1, 2, 2, 2, 3 (and one job reading a file that is not available).
        let positions: [[Int?]] = [[0], [0], [1], [2], [2, nil], [2], [3]]
        #expect(JobCreatorStage.groupEnd(positions, files: 4, limit: 1) == 2)
        #expect(JobCreatorStage.groupEnd(positions, files: 4, limit: 3) == 3)
        #expect(JobCreatorStage.groupEnd(positions, files: 4, limit: 4) == 6)
        #expect(JobCreatorStage.groupEnd(positions, files: 4, limit: 7) == 7)
        #expect(JobCreatorStage.groupEnd(positions, files: 4, limit: 100) == 7)
        #expect(JobCreatorStage.groupEnd([[0], [1], [0]], files: 2, limit: 1) == 3, "no clean cut before the end")
    }
}
