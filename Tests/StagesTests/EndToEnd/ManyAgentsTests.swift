import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems
@testable import Operator
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// Issue 21's proof: one central spool and three agent spools, every program a separate process (`wmagent init
/// --central`, `wmagent run --watch` on each spool). Mid-run two agents are SIGKILLed; one comes back, the other
/// never does; first attempts of jobs fail now and then. The global queue takes the lost agent's elements back after
/// the agent timeout, the others finish them, and every event of every request is in the central catalog exactly once.
@Suite(.serialized) struct ManyAgentsTests {
    static let requests = 3, eventsPerRequest = 4000, agentTimeout = 8.0

    /// A `wmagent run --watch` of one spool, its log in the test folder.
    final class Running {
        let process = Process()
        init(spool: String, log: String) throws {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: TestSupport.executable("wmagent"))
            process.arguments = ["run", "--spool", spool, "--watch", "--interval", "0.5", "--report-interval", "0"]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            handle.seekToEndOfFile()
            process.standardError = handle
            try process.run()
        }
        func stop(_ signal: Int32) {
            _ = Glibc.kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
    }

    /// The elements in a central state folder, by the agent holding them.
    static func elements(_ central: String, _ state: String) -> [(name: String, agent: String?, history: [String])] {
        let folder = central + "/workqueue/" + state
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap { file in
            guard let data = FileManager.default.contents(atPath: folder + "/" + file),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            let history = (object["history"] as? [[String: Any]] ?? []).map { "\($0["actor"] ?? ""):\($0["to"] ?? "")" }
            return (file, object["agent"] as? String, history)
        }
    }

    static func waitFor(_ what: String, seconds: Double, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw OperationsFailure("timed out after \(Int(seconds)) s waiting for \(what)") }
            usleep(200_000)
        }
    }

    @Test func threeAgentsOneLostForGoodEveryEventOnceInTheCentralCatalog() throws {
        let base = TestSupport.temporaryDirectory("many-agents")
        let central = base + "/central"
        let agents = ["a1", "a2", "a3"]
        for agent in agents {
            let made = try TestSupport.run(TestSupport.executable("wmagent"), ["init", "--central", central, base + "/" + agent, "--agent", agent])
            try #require(made.status == 0, "wmagent init --central: \(made.stderr)")
        }
        // Fast retries, a short agent timeout, two jobs per element and few pending slots (so the work spreads).
        for spool in [central] + agents.map({ base + "/" + $0 }) {
            let agentFile = spool + "/etc/agent.json", sitesFile = spool + "/etc/sites.json"
            var configuration = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: agentFile))) as? [String: Any])
            configuration["retryManager"] = ["taskTypes": ["default": ["algorithm": "Linear", "coolOffTime": ["create": 0.05, "submit": 0.05, "job": 0.05]]]]
            configuration["workQueue"] = ["agentTimeout": Self.agentTimeout, "maxJobsPerElement": 2]
            // First attempts fail now and then (cmsRun's 8021), so the agents' error handling and retries run too.
            configuration["jobBaggage"] = ["faults": ["seed": Int.random(in: 1...1_000_000),
                                                      "rules": [["probability": 0.15, "fault": ["kind": "exit", "code": 8021], "retries": [0]]]]]
            try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: agentFile))
            var sites = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sitesFile))) as? [String: Any])
            sites["sites"] = (sites["sites"] as! [[String: Any]]).map { site in
                var site = site
                var slots = site["slots"] as! [String: Any]
                slots["pendingSlots"] = 2
                site["slots"] = slots
                site["taskSlots"] = (site["taskSlots"] as? [String: Any] ?? [:]).mapValues { _ in ["pendingSlots": 2, "runningSlots": 4] }
                return site
            }
            try JSONSerialization.data(withJSONObject: sites).write(to: URL(fileURLWithPath: sitesFile))
        }
        let wmctl = { (spool: String, arguments: [String]) -> (Int32, Wmctl.Output) in
            let output = Wmctl.Output()
            return (Wmctl.run(["--spool", spool] + arguments, environment: [:], stdin: { "" }, output: output), output)
        }
        var names: [String] = []
        for version in 1...Self.requests {
            let (status, output) = wmctl(central, ["request", "submit", OperationsPrograms.exampleRequest, "--assign",
                                                   "--set", "Task1.RequestNumEvents=\(Self.eventsPerRequest)", "--set", "ProcessingVersion=\(version)"])
            try #require(status == 0, "submit: \(output.stderr)")
            names.append(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // Agents pointed at the wrong kind of spool do nothing and say where to go (exit 64).
        let wrong = try TestSupport.run(TestSupport.executable("wm-jobcreator"), ["--spool", central, "--once"])
        #expect(wrong.status == 64 && wrong.stderr.contains("agent's spool"), "\(wrong.status): \(wrong.stderr)")
        let wrongCentral = try TestSupport.run(TestSupport.executable("wm-reqmgr"), ["--spool", base + "/a1", "--once"])
        #expect(wrongCentral.status == 64 && wrongCentral.stderr.contains("--spool \(central)"), "\(wrongCentral.status): \(wrongCentral.stderr)")

        var running: [String: Running] = [:]
        let startSpool = { (name: String) throws in
            running[name] = try Running(spool: name == "central" ? central : base + "/" + name, log: base + "/\(name).log")
        }
        defer {
            for process in running.values where process.process.isRunning { process.stop(SIGKILL) }
            // Payloads of the killed agents may still run: nothing of the test outlives it.
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(entry), let bytes = try? SystemCall.readFile("/proc/\(entry)/cmdline", limit: 1 << 16) else { continue }
                if String(decoding: bytes.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(base + "/") { _ = Glibc.kill(pid, SIGKILL) }
            }
        }
        try startSpool("central")
        for agent in agents { try startSpool(agent) }

        // Kill a1 for good and a2 for a while, each once it holds running work.
        let began = Date()
        for (victim, comesBack) in [("a1", false), ("a2", true)] {
            try Self.waitFor("\(victim) to hold Running elements", seconds: 120) {
                Self.elements(central, "Running").contains { $0.agent == victim }
            }
            running[victim]!.stop(SIGKILL)
            if comesBack {
                usleep(1_500_000)
                try startSpool(victim)
            }
        }
        let lost = Set(Self.elements(central, "Running").filter { $0.agent == "a1" }.map(\.name)
                       + Self.elements(central, "Acquired").filter { $0.agent == "a1" }.map(\.name))

        try Self.waitFor("every request to complete", seconds: 300) {
            names.allSatisfy { FileManager.default.fileExists(atPath: central + "/reqmgr/completed/\($0).json") }
        }
        let finishedIn = Date().timeIntervalSince(began)
        for name in ["central", "a2", "a3"] { running[name]?.stop(SIGTERM) }

        // Every element Done exactly once (archived with its request), none left in the queue.
        var done: [String: (agent: String?, history: [String])] = [:]
        for name in names {
            let folder = central + "/archive/elements/" + name
            for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
                let data = try #require(FileManager.default.contents(atPath: folder + "/" + file))
                let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                #expect(object["state"] as? String == "Done", "\(file): \(object["state"] ?? "")")
                #expect(done[file] == nil, "element \(file) archived twice")
                // The agent that finished it reported its progress: both GEN-SIM jobs of the element succeeded.
                let progress = object["progress"] as? [String: Any]
                #expect(progress?["jobsSucceeded"] as? Int == 2, "\(file): progress \(progress ?? [:])")
                done[file] = (object["agent"] as? String, (object["history"] as? [[String: Any]] ?? []).map { "\($0["actor"] ?? ""):\($0["to"] ?? "")" })
            }
        }
        #expect(done.count == Self.requests * Self.eventsPerRequest / 400, "elements: \(done.count)")
        for state in ["Available", "Acquired", "Running", "Negotiating"] { #expect(Self.elements(central, state).isEmpty, "left in \(state)") }
        // The lost agent's elements went back to the queue and were finished by the others.
        #expect(!lost.isEmpty, "a1 held no element when it was killed")
        for name in lost {
            let element = try #require(done[name], "\(name) of a1 is not Done")
            #expect(element.agent != "a1" && element.history.contains("wm-workqueue:Available"), "\(name): \(element)")
        }
        #expect(FileManager.default.fileExists(atPath: central + "/workqueue/fences/a1"), "a1 was never fenced")
        // A move is recorded as an operator's only where a kill cut it short (the killed agents' elements): never
        // because one process read a document another was moving.
        let recovered = done.filter { $0.value.history.contains { $0.hasPrefix("operator:") } }
        #expect(recovered.allSatisfy { entry in entry.value.history.contains { $0.hasPrefix("wm-workqueue-local-a1:") || $0.hasPrefix("wm-workqueue-local-a2:") } },
                "\(recovered.filter { entry in !entry.value.history.contains { $0.hasPrefix("wm-workqueue-local-a1:") || $0.hasPrefix("wm-workqueue-local-a2:") } })")

        // Every event of every request once in the central catalog, read back from the shared storage.
        for version in 1...Self.requests {
            for tier in ["GEN-SIM", "GEN-SIM-RAW", "AODSIM"] {
                let dataset = "/DemoMinBias/Demo2026-demo-v\(version)/\(tier)"
                let (status, output) = wmctl(central, ["catalog", "events", dataset])
                try #require(status == 0, "\(dataset): \(output.stderr)")
                let events = output.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
                #expect(events.count == Self.eventsPerRequest && Set(events) == Set(1...Self.eventsPerRequest),
                        "\(dataset): \(events.count) events, \(Set(events).count) distinct")
            }
        }
        for name in names {
            let (status, output) = wmctl(central, ["request", "account", name])
            #expect(status == 0 && output.stdout.contains("COMPLETE"), "\(name): \(output.stdout)")
        }
        print("many agents: \(Self.requests) requests, \(done.count) elements, \(lost.count) taken back from a1; finished \(Int(finishedIn)) s after the first kill")
    }
}
