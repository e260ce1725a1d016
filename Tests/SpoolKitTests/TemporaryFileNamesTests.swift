import Foundation
import Testing
import TestSupport
@testable import SpoolKit

/// Temporary names that say which process of which host wrote them, and a cleanup of `.tmp/` that judges only
/// this host's files by process id.
@Suite struct TemporaryFileNamesTests {
    typealias Fixtures = TemporaryFileFixtures
    let otherHost = Fixtures.otherHost, deadPid = Fixtures.deadPid

    @Test func theHostIdIsTheMachineIdsHeadElseTheSanitisedHostName() {
        let machineID = Array("4f2e9a0c1b3d5e7f90a1b2c3d4e5f601\n".utf8)
        #expect(Spool.hostIdentifier(machineID: machineID, hostName: "node1") == "4f2e9a0c1b3d")
        #expect(Spool.hostIdentifier(machineID: Array("not-a-machine-id".utf8), hostName: "wn_12.cern.ch") == "wn-12-cern-ch")
        #expect(Spool.hostIdentifier(machineID: Array("4f2e".utf8), hostName: "node1") == "node1", "too short")
        #expect(Spool.hostIdentifier(machineID: nil, hostName: "") == "unknown-host")
        let here = Spool.hostIdentifier
        #expect(!here.isEmpty && here.utf8.allSatisfy { $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0)
            || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) }, "\(here) has only [A-Za-z0-9-]")
    }

    @Test func temporaryNamesSayWhichProcessOfWhichHostWroteThem() throws {
        let mine = try #require(Spool.temporaryFileWriter(Spool.temporaryFileName()))
        #expect(mine.pid == getpid() && mine.host == Spool.hostIdentifier && mine.isOnThisHost && mine.isThisProcess)
        let old = try #require(Spool.temporaryFileWriter("1700000000.1.4242.7.part"))
        #expect(old.pid == 4242 && old.host == nil && old.isOnThisHost, "a name of the older form was written here")
        let foreign = try #require(Spool.temporaryFileWriter(Fixtures.name(pid: getpid(), host: otherHost, counter: 7)))
        #expect(foreign.host == otherHost && !foreign.isOnThisHost && !foreign.isThisProcess, "same pid, another host")
        #expect(Spool.temporaryFileWriter("1700000000.1.4242@.7.part") == nil, "an empty host")
        #expect(Spool.temporaryFileWriter("1700000000.1.x@host.7.part") == nil && Spool.temporaryFileWriter("1.2.part") == nil)
        #expect(Spool.temporaryFileOwner(Fixtures.name(pid: 4242, host: otherHost, counter: 7)) == 4242)
    }

    @Test(arguments: [false, true])
    func anotherHostsTemporaryFilesSurviveCleanupForADayAndAreNeverRecycled(shared: Bool) throws {
        let root = TestSupport.temporaryDirectory("shared-foreign-tmp")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        if shared { try spool.markShared() }
        let tmp = spool.temporaryDirectory
        let deadThere = Fixtures.name(pid: deadPid, host: otherHost, counter: 1)
        let samePidThere = Fixtures.name(pid: getpid(), host: otherHost, counter: 2)
        let staleThere = Fixtures.name(pid: deadPid, host: otherHost, counter: 3)
        try Fixtures.oldFile(tmp + "/" + deadThere, age: 3_600)
        try Fixtures.oldFile(tmp + "/" + samePidThere, age: 3_600)
        try Fixtures.oldFile(tmp + "/" + staleThere, age: 2 * 86_400)
        #expect(Set(try spool.temporaryFiles().map(\.name)) == [staleThere], "fsck sees only the one older than a day")
        #expect(try spool.purgeTemporaryFiles() == 1)
        #expect(try Fixtures.entries(tmp) == [deadThere, samePidThere], "another host's files younger than a day stay")
        #expect(spool.spares.privateCount == 0, "the stale one was unlinked, not kept as a spare")
        #expect(try Fixtures.isMissingOrEmpty(root + "/.spare"))
        #expect(try spool.purgeTemporaryFiles(olderThan: 60) == 0, "a shorter age does not shorten another host's day")
    }

    @Test func thisHostsFileOfADeadProcessIsCleanedAsBefore() throws {
        let root = TestSupport.temporaryDirectory("shared-own-tmp")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        let dead = Fixtures.name(pid: deadPid, host: Spool.hostIdentifier, counter: 1)
        let deadOld = Fixtures.name(pid: deadPid, host: nil, counter: 2)
        try Fixtures.oldFile(spool.temporaryDirectory + "/" + dead, age: 120)
        try Fixtures.oldFile(spool.temporaryDirectory + "/" + deadOld, age: 120)
        #expect(Set(try spool.temporaryFiles().map(\.name)) == [dead, deadOld])
        #expect(try spool.purgeTemporaryFiles() == 2)
        #expect(spool.spares.privateCount == 2, "both became spares of this process, as before")
        #expect(!(try Fixtures.entries(spool.temporaryDirectory)).contains(dead))
    }
}
