import Commands
import DynamicJSON
import EventFiles
import Foundation
import SpoolKit
import SpoolLayout

/// `wm-t0-replay`: the storage-manager simulator. Writes runs × streams × lumis from several instances as WMEV
/// streamer files and publishes the storage managers' documents in `DIR/t0/incoming/`, with the disorders a
/// Tier-0 must survive (lumis out of order, a late instance, empty lumis, an oversized lumi, duplicates).
public enum ReplayCommand {
    /// The command line.
    public static let spec = CommandSpec(
        "wm-t0-replay", summary: "write streamer files and storage-manager documents for a Tier-0 replay",
        options: [
            CommandOption("spool", .text("DIR"), help: "the spool (its etc/t0.json is read; documents go to t0/incoming/)"),
            CommandOption("data", .text("DIR"), help: "absolute folder of the streamer files (default DIR/t0/streamers)"),
            CommandOption("hlt-key", .text("KEY"), help: "the menu of etc/t0.json to use (default: the only one)"),
            CommandOption("runs", .integer(1...ReplayPlan.limits.runs), help: "runs (default 1)"),
            CommandOption("first-run", .integer(1...4_000_000), help: "the first run's number (default 100001)"),
            CommandOption("lumis", .integer(1...ReplayPlan.limits.lumis), help: "lumis per run (default 10)"),
            CommandOption("instances", .integer(1...ReplayPlan.limits.instances), help: "storage-manager instances (default 2)"),
            CommandOption("events-per-file", .integer(1...ReplayPlan.limits.eventsPerFile), help: "events per streamer file (default 10)"),
            CommandOption("payload-bytes", .integer(0...ReplayPlan.limits.payloadBytes), help: "payload bytes per event (default 256)"),
            CommandOption("seed", .integer(0...Int.max), help: "seed of every choice (default 1)"),
            .flag("shuffle", help: "publish each run's lumis out of order"),
            .flag("late-instance", help: "publish the last instance's documents after all others"),
            CommandOption("empty-lumis", .integer(0...ReplayPlan.limits.lumis), help: "lumis per run with no file from any instance (default 0)"),
            CommandOption("oversized-lumi", .text("RUN:LUMI"), repeatable: true,
                          help: "a lumi whose files hold \(ReplaySettings.oversizeFactor)× the events (repeatable)"),
            .flag("duplicate", help: "publish about one document in \(ReplaySettings.duplicateEvery) twice"),
            CommandOption("expect", .text("FILE"), help: "write the expected events of every dataset to FILE as JSON (- for stdout)"),
        ],
        positional: 0...0, dryRun: .supported,
        notes: ["Exit codes: 0 done; 64 usage; 65 bad etc/t0.json; 66 no spool or no etc/t0.json; 73 cannot write (a streamer file exists).",
                "Deterministic: the same options and seed write the same files and documents."])

    /// Runs the command with `arguments` (without the program name); returns the exit code and writes its
    /// standard output and error through `output`.
    public static func run(_ arguments: [String], output: ReplayOutput) -> Int32 {
        do {
            let parsed = try spec.parse(arguments)
            try execute(parsed, output: output)
            return ExitCode.ok.rawValue
        } catch let failure as CommandFailure {
            if failure.code == .ok { output.out(failure.message) } else {
                output.err(failure.message.hasPrefix(spec.command) ? failure.message : spec.command + ": " + failure.message)
            }
            return failure.code.rawValue
        } catch {
            output.err("wm-t0-replay: \(error)")
            return ExitCode.failure.rawValue
        }
    }

    private static func execute(_ parsed: ParsedCommand, output: ReplayOutput) throws {
        guard let root = parsed.text("spool") else { throw CommandFailure(.usage, "--spool DIR is required (see --help)") }
        let settings = try settings(parsed)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
            throw CommandFailure(.noInput, "\(root): no such spool")
        }
        let spool = try Spool(root: root)
        let menuBytes: [UInt8]
        do {
            guard let bytes = try spool.read(Layout.tier0ConfigurationFile, in: Layout.configuration, limit: Spool.configurationSizeLimit) else {
                throw CommandFailure(.noInput, "\(spool.path(Layout.tier0Configuration)): no Tier-0 configuration")
            }
            menuBytes = bytes
        } catch let refused as RefusedFile {
            throw CommandFailure(.dataError, refused.description(naming: spool.path(Layout.tier0Configuration)))
        }
        let menu: ReplayMenu
        do {
            menu = try ReplayMenu.decode(menuBytes, path: spool.path(Layout.tier0Configuration), hltKey: parsed.text("hlt-key"))
        } catch let choice as ReplayMenuError {
            throw CommandFailure(.dataError, "\(spool.path(Layout.tier0Configuration)): \(choice)")
        } catch {
            throw CommandFailure(.dataError, "\(error)")   // the configuration's error names the file and the key
        }
        let data = parsed.text("data") ?? spool.path(Layout.tier0Streamers)
        guard data.hasPrefix("/") else { throw CommandFailure(.usage, "--data: expected an absolute folder, got '\(data)'") }
        let plan: ReplayPlan
        do { plan = try ReplayPlan(menu: menu, settings: settings, dataDirectory: data) } catch {
            throw CommandFailure(.usage, error.description)
        }
        let expectation = plan.expectation()
        if parsed.dryRun {
            for file in plan.files { output.out("would write \(data + file.lfn) (\(file.events) events, \(file.size) bytes)") }
            for document in plan.documents { output.out("would publish \(Layout.tier0Incoming)/\(document.name) \(document.body.serialized)") }
        } else {
            try ReplayWriter(spool: spool, plan: plan, dataDirectory: data).write()
            if let target = parsed.text("expect") {
                let text = expectationJSON(plan: plan, expectation: expectation).serialized
                if target == "-" { output.out(text) } else {
                    do { try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: target), options: .atomic) } catch {
                        throw CommandFailure(.cantCreate, "\(target): cannot write the expectation: \(error)")
                    }
                }
            }
        }
        let events = plan.files.reduce(0) { $0 + $1.events }
        output.out("\(parsed.dryRun ? "would write" : "wrote") \(plan.files.count) streamer files (\(events) events) and \(plan.documents.count) documents; menu \(menu.hltKey)")
        for (dataset, records) in expectation.sorted(by: { $0.key < $1.key }) { output.out("expect \(dataset): \(records.count) events") }
    }

    /// The expectation as written by `--expect`: `{"hltKey", "acquisitionEra", "datasets": {PD: ["RUN LUMI EVENT", ...]},
    /// "emptyLumis": {RUN: [LUMI, ...]}}`.
    public static func expectationJSON(plan: ReplayPlan, expectation: [String: [EventRecord]]) -> JSONValue {
        .object([
            "hltKey": .string(plan.menu.hltKey),
            "acquisitionEra": .string(plan.menu.acquisitionEra),
            "datasets": .object(expectation.mapValues { .array($0.map { .string($0.description) }) }),
            "emptyLumis": .object(Dictionary(uniqueKeysWithValues: plan.emptyLumis.map { (String($0.key), JSONValue.array($0.value.sorted().map { .int($0) })) })),
        ])
    }

    private static func settings(_ parsed: ParsedCommand) throws -> ReplaySettings {
        var settings = ReplaySettings()
        if let value = parsed.integer("runs") { settings.runs = value }
        if let value = parsed.integer("first-run") { settings.firstRun = value }
        if let value = parsed.integer("lumis") { settings.lumis = value }
        if let value = parsed.integer("instances") { settings.instances = value }
        if let value = parsed.integer("events-per-file") { settings.eventsPerFile = value }
        if let value = parsed.integer("payload-bytes") { settings.payloadBytes = value }
        if let value = parsed.integer("seed") { settings.seed = UInt64(value) }
        if let value = parsed.integer("empty-lumis") { settings.emptyLumis = value }
        settings.shuffle = parsed.flag("shuffle")
        settings.lateInstance = parsed.flag("late-instance")
        settings.duplicate = parsed.flag("duplicate")
        for text in parsed.texts("oversized-lumi") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let run = Int(parts[0]), let lumi = Int(parts[1]) else {
                throw CommandFailure(.usage, "--oversized-lumi: expected RUN:LUMI, got '\(text)'")
            }
            settings.oversizedLumis.insert(RunLumi(run: run, lumi: lumi))
        }
        return settings
    }
}

/// Where `ReplayCommand` writes its standard output and error (collected, so tests run it in-process).
public final class ReplayOutput: @unchecked Sendable {
    /// Standard output so far.
    public private(set) var stdout = ""
    /// Standard error so far.
    public private(set) var stderr = ""
    /// Makes an empty output.
    public init() {}
    /// Appends a line to standard output.
    public func out(_ line: String) { stdout += line + "\n" }
    /// Appends a line to standard error.
    public func err(_ line: String) { stderr += line + "\n" }
}

/// Writes a plan: every streamer file, then every document in order (each published by rename, so a reader never
/// sees a partial one). Refuses before writing anything when a streamer file already exists.
struct ReplayWriter {
    let spool: Spool
    let plan: ReplayPlan
    let dataDirectory: String

    func write() throws {
        if let existing = plan.files.first(where: { FileManager.default.fileExists(atPath: dataDirectory + $0.lfn) }) {
            throw CommandFailure(.cantCreate, "\(dataDirectory + existing.lfn): the streamer file exists already; nothing was written")
        }
        do {
            try spool.ensureDirectories([Layout.tier0Incoming])
            for file in plan.files {
                let path = dataDirectory + file.lfn
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let writer = try EventFileWriter(path: path, payloadSize: plan.settings.payloadBytes)
                do {
                    for record in plan.records(of: file) { try writer.append(record) }
                    try writer.finish()
                } catch {
                    writer.abandon()
                    throw error
                }
            }
            for document in plan.documents {
                try spool.publish(Array((document.body.serialized + "\n").utf8), as: document.name, in: Layout.tier0Incoming)
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(.cantCreate, "cannot write the replay: \(error)")
        }
    }
}
