import Foundation
import Testing
import TestSupport
@testable import Operator
import WMCore

/// Issue 18: every command `README.md` and `spool/README.md` show runs as written on a fresh spool, with the
/// built programs, and exits as the text says. A command that does not names its file, line and text.
///
/// What counts as a command (the extraction rule):
/// - In a fenced ```` ```sh ```` block, every line: a trailing `\` joins the next line, a `# ...` comment is dropped.
/// - Outside fenced blocks, an inline code span (it may wrap a line) whose first word is a program of this
///   project (`wmctl`, `wmagent`, `wm-...`):
///   - a synopsis — holding `|`, `[`, `*` (a glob of program names), `...` or `…` — is grammar, not a command line, and is not run;
///   - the program and its verb words alone — lowercase words, at most one after the program, two after `wmctl`
///     (`wm-reqmgr`, `wmagent run`, `wmctl fsck`, `wmctl request submit`) — name a program or verb: run with
///     `--help`, which fails when the docs name one that does not exist;
///   - anything else (an option, an argument or a placeholder follows) is a command line, run as written.
/// - Shell commands of other programs (`ls`, `mv`, `rm .spare/*`, `swift build`) are not extracted.
///
/// The expected status is 0 unless the text says `exit N` right after the command (in a fenced line's comment,
/// or as `(exit N` after an inline command line).
///
/// What the text says to fill is filled, nothing else: `/data/spool` and `DIR` → the test's spool (made by the
/// README's own `wmagent init`); `NAME` → the request the first `wmctl request submit` named (after `--agent`:
/// `agent1`, the agent name of the shipped `etc/agent.json`); `ID` → that request too (a document's name);
/// `<uuid>` → a block in `dbsbuffer/blocks/`; `FILE` → a CMSSW job report; `PROGRAM` → each program the docs
/// name; `VERB` → each verb of `wmctl`. Files a command names by a bare name (`request.json`, `block.json`, ...)
/// are the operator's own: the commands run in a working folder that holds a fitting one of each.
///
/// The documents run in order in one session, README.md first: each command through `/bin/sh -c` in that
/// folder, the built programs first in `PATH`; an `export VAR=VALUE` line sets VAR for every later command
/// (in the children's environment only).
@Suite struct DocumentedCommandsTests {
    /// The documents whose commands must run, in the order they run.
    static let documents = ["README.md", "spool/README.md"]

    /// Commands that are not run, each with its reason. Keep it short.
    static let skipped: [String: String] = [
        "scripts/demo": "builds a release and runs the whole demo; OperationsReadmeTests runs it",
        "scripts/test": "runs this test suite itself",
    ]

    /// One command found in a document.
    struct DocumentedCommand: CustomStringConvertible {
        /// The document's path (relative to the package root) and the 1-based line the command starts on.
        var file: String
        var line: Int
        /// The command as written (continuations joined, comment dropped).
        var text: String
        /// The exit status the text implies.
        var expectedStatus: Int32
        /// True for a span naming a program or verb only: run with `--help`.
        var isName: Bool
        var description: String { "\(file):\(line): `\(text)`" }
    }

    /// The first word of a command of this project.
    static func isProgram(_ word: Substring) -> Bool {
        word == "wmctl" || word == "wmagent" || (word.hasPrefix("wm-") && word.count > 3)
    }

    /// `exit N` in `text` (the first one), if any.
    static func exitStatus(in text: Substring) -> Int32? {
        guard let match = text.firstMatch(of: /exit (\d{1,3})\b/) else { return nil }
        return Int32(match.1)
    }

    /// The commands of one document, by the rule above.
    static func commands(in file: String, text: String) -> [DocumentedCommand] {
        var found: [DocumentedCommand] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fence: String? = nil      // the open fence's info string
        var pending: (line: Int, text: String)? = nil
        var prose: [(line: Int, text: String)] = []
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                fence = fence == nil ? String(trimmed.dropFirst(3)) : nil
                continue
            }
            guard let info = fence else { prose.append((index + 1, line)); continue }
            guard info == "sh" else { continue }
            var body = Substring(line)
            var comment: Substring = ""
            if let hash = body.firstRange(of: /(^|\s)#/) { comment = body[hash.upperBound...]; body = body[..<hash.lowerBound] }
            var command = body.trimmingCharacters(in: .whitespaces)
            let continues = command.hasSuffix("\\")
            if continues { command = String(command.dropLast()).trimmingCharacters(in: .whitespaces) }
            if var open = pending {
                open.text += " " + command
                pending = open
            } else if !command.isEmpty {
                pending = (index + 1, command)
            }
            if !continues, let done = pending {
                found.append(DocumentedCommand(file: file, line: done.line, text: done.text,
                                               expectedStatus: exitStatus(in: comment) ?? 0, isName: false))
                pending = nil
            }
        }
        found += inlineCommands(in: file, prose: prose)
        return found.sorted { $0.line < $1.line }
    }

    /// The inline command lines and names of the prose lines (`(line, text)` outside fenced blocks).
    static func inlineCommands(in file: String, prose: [(line: Int, text: String)]) -> [DocumentedCommand] {
        // Join the prose with newlines, remembering where each line starts, so a span may wrap.
        var joined = ""
        var starts: [(offset: Int, line: Int)] = []
        for (line, text) in prose {
            starts.append((joined.count, line))
            joined += text + "\n"
        }
        func line(at offset: Int) -> Int { starts.last { $0.offset <= offset }?.line ?? 0 }
        var found: [DocumentedCommand] = []
        for match in joined.matches(of: /`([^`]+)`/) {
            let span = match.1.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
            let words = span.split(separator: " ")
            guard let first = words.first, isProgram(first) else { continue }
            if span.contains(where: { "|[…*".contains($0) }) || span.contains("...") { continue }
            let offset = joined.distance(from: joined.startIndex, to: match.range.lowerBound)
            let verbWords = first == "wmctl" ? 2 : 1   // wmctl has verb groups (`wmctl request submit`)
            let isName = words.count <= 1 + verbWords && words.allSatisfy { $0.wholeMatch(of: /[a-z][a-z0-9-]*/) != nil }
            let after = joined[match.range.upperBound...].prefix(20)
            let expected = isName ? 0 : (after.firstMatch(of: /^\s*\(exit (\d{1,3})\b/).flatMap { Int32($0.1) } ?? 0)
            found.append(DocumentedCommand(file: file, line: line(at: offset), text: span, expectedStatus: expected, isName: isName))
        }
        return found
    }

    /// The session the documents' commands run in: the working folder, the environment, what was learnt.
    final class Session {
        let work: String
        let spool: String
        let bin = TestSupport.productsDirectory
        var environment: [String: String]
        var requestName: String?
        var programs: [String] = []

        init() throws {
            work = TestSupport.temporaryDirectory("documented-commands")
            spool = work + "/data-spool"
            environment = ProcessInfo.processInfo.environment
            environment["PATH"] = bin + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            environment["WM_SPOOL"] = nil
            try Self.writeOperatorFiles(into: work)
        }

        /// The operator's own files the commands name by a bare name.
        static func writeOperatorFiles(into work: String) throws {
            let root = TestSupport.packageRoot
            func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: work + "/" + name)) }
            try write("my-config.json", try String(contentsOfFile: root + "/etc/examples/configs/GenSim.json", encoding: .utf8))
            // The example request, 200 events (one GEN-SIM job) to keep the run short.
            let example = try String(contentsOfFile: root + "/etc/examples/TaskChain_MC.json", encoding: .utf8)
            let request = example.replacingOccurrences(of: #""RequestNumEvents": 2000"#, with: #""RequestNumEvents": 200"#)
            try #require(request != example, "etc/examples/TaskChain_MC.json no longer asks for 2000 events; update this test")
            try write("request.json", request)
            try write("TC_ProdPsi.json", try String(contentsOfFile: root + "/Tests/WMCoreTests/Fixtures/TC_ProdPsi.json", encoding: .utf8))
            // The configurations TC_ProdPsi refers to, as EndToEndTemplateTests makes them.
            try write("gensim.json", #"{"outputModules": {"FEVTDEBUGoutput": {"dataTier": "GEN-SIM", "filterName": ""}}}"#)
            try write("digi.json", #"{"outputModules": {"FEVTDEBUGHLToutput": {"dataTier": "GEN-SIM-DIGI-RAW", "filterName": ""}}}"#)
            try write("reco.json", #"{"outputModules": {"RECOSIMoutput": {"dataTier": "GEN-SIM-RECO", "filterName": ""}, "DQMoutput": {"dataTier": "DQMIO", "filterName": ""}}}"#)
            try write("harvest.json", #"{"outputModules": {}}"#)
            // An input block (DBS insertBulkBlock JSON), one file invalid.
            let lfnBase = "/store/data/Run2018A/DoubleMuon/RAW/v1/000/316/877/00000/doc"
            let block = CatalogBlock(name: "/DoubleMuon/Run2018A-v1/RAW#0d0c0d0c-1111-2222-3333-444455556666", locations: ["T2_CH_CERN"],
                                     files: (1...2).map { n in
                CatalogFile(lfn: "\(lfnBase)-\(n).root", size: 1000, events: 100, adler32: "00000001", cksum: "1",
                            lumis: [LumiSection(run: 316877, lumi: n)], isValid: n == 1)
            })
            let bulk = BulkBlock(block: block, context: BulkBlockContext(config: BulkConfig(releaseVersion: "CMSSW_10_2_4_patch1",
                                                                                             outputModuleLabel: "Merged", globalTag: "GT"),
                                                                          processingVersion: 1, acquisitionEra: "Run2018A",
                                                                          primaryDatasetType: "data", creationDate: 0))
            try JSONEncoder().encode(bulk).write(to: URL(fileURLWithPath: work + "/block.json"))
        }

        /// A block of the spool (`<uuid>`), the first in name order of any state.
        func block() -> String? {
            let blocks = spool + "/dbsbuffer/blocks"
            let states = ((try? FileManager.default.contentsOfDirectory(atPath: blocks)) ?? []).sorted()
            for state in states where state != "corrupt" {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: blocks + "/" + state)) ?? []).sorted()
                if let name = names.first(where: { $0.hasSuffix(".json") }) { return String(name.dropLast(5)) }
            }
            return nil
        }

        /// The command lines `command` stands for, placeholders filled; nil with the reason when one can't be.
        func expand(_ command: DocumentedCommand) -> Result<[String], PlaceholderMissing> {
            var text = command.isName ? command.text + " --help" : command.text
            text = text.replacingOccurrences(of: "/data/spool", with: spool)
            text = text.replacing(/\bDIR\b/, with: spool)
            text = text.replacing(/--agent NAME\b/, with: "--agent agent1")
            text = text.replacing(/\bFILE\b/, with: TestSupport.packageRoot + "/Tests/FrameworkJobReportTests/Fixtures/CMSSWProcessingReport.xml")
            if text.contains(/\b(NAME|ID)\b/) {
                guard let requestName else { return .failure(PlaceholderMissing("NAME: no `wmctl request submit` has named a request yet")) }
                text = text.replacing(/\b(NAME|ID)\b/, with: requestName)
            }
            if text.contains("<uuid>") {
                guard let block = block() else { return .failure(PlaceholderMissing("<uuid>: no block in dbsbuffer/blocks/")) }
                text = text.replacingOccurrences(of: "<uuid>", with: block)
            }
            if text.contains(/\bPROGRAM\b/) { return .success(programs.map { text.replacing(/\bPROGRAM\b/, with: $0) }) }
            if text.contains(/\bVERB\b/) {
                return .success(Wmctl.commands.map { text.replacing(/\bVERB\b/, with: $0.words.joined(separator: " ")) })
            }
            return .success([text])
        }

        /// Runs one command line through `/bin/sh -c` in the working folder; output through files, bounded.
        func run(_ line: String, seconds: Double = 50) throws -> (status: Int32, stdout: String, stderr: String) {
            if let export = line.wholeMatch(of: /export ([A-Za-z_][A-Za-z0-9_]*)=(\S+)/) {
                environment[String(export.1)] = String(export.2)
                return (0, "", "")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", line]
            process.currentDirectoryURL = URL(fileURLWithPath: work)
            process.environment = environment
            let outFile = TestSupport.temporaryDirectory("doc-cmd") + "/out", errFile = outFile + ".err"
            _ = FileManager.default.createFile(atPath: outFile, contents: nil)
            _ = FileManager.default.createFile(atPath: errFile, contents: nil)
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outFile)), err = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try out.close()
            try err.close()
            let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
            return (status, (try? String(contentsOfFile: outFile, encoding: .utf8)) ?? "", (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "")
        }
    }

    /// Why a placeholder could not be filled.
    struct PlaceholderMissing: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The extraction rule finds the documents' commands (so the test below cannot pass by finding none).
    @Test func extractionFindsTheDocumentedCommands() throws {
        let readme = Self.commands(in: "README.md", text: try String(contentsOfFile: TestSupport.packageRoot + "/README.md", encoding: .utf8))
        let texts = readme.map(\.text)
        for expected in ["wmagent init $WM_SPOOL", "wmctl status", "wmctl request show NAME", "wmctl fsck --repair", "wmctl show ID"] {
            #expect(texts.contains(expected), "README.md: \(expected) not extracted from \(texts)")
        }
        #expect(texts.contains { $0.hasPrefix("wmctl request submit TC_ProdPsi.json --assign --set Team=production --set SiteWhitelist=T2_CH_CERN --set AcquisitionEra") },
                "a continued line is joined")
        #expect(!texts.contains { $0.contains("|") || $0.contains("...") }, "synopses are not commands")
        #expect(readme.first { $0.text == "wmagent run" }?.isName == true, "a verb named in prose is checked with --help")
        let sample = "x `wmctl request resubmit NAME` (exit 66 when none), `wmctl request submit` (exit 65)\n```sh\nwmctl pending   # exit 3 maybe\n```\n"
        let parsed = Self.commands(in: "sample", text: sample)
        #expect(parsed.map(\.expectedStatus) == [66, 0, 3], "\(parsed)")
    }

    @Test(.timeLimit(.minutes(3))) func everyDocumentedCommandRunsAsWritten() throws {
        let session = try Session()
        let documents = try Self.documents.map { file in
            (file, Self.commands(in: file, text: try String(contentsOfFile: TestSupport.packageRoot + "/" + file, encoding: .utf8)))
        }
        session.programs = Array(Set(documents.flatMap { $0.1.compactMap { $0.text.split(separator: " ").first.map(String.init) } })
            .filter { Self.isProgram(Substring($0)) }).sorted()
        var ran = 0
        for (_, commands) in documents {
            for command in commands {
                if Self.skipped[command.text] != nil { continue }
                let lines: [String]
                switch session.expand(command) {
                case .success(let expanded): lines = expanded
                case .failure(let missing): Issue.record("\(command): cannot fill \(missing)"); continue
                }
                for line in lines {
                    let result = try session.run(line)
                    ran += 1
                    #expect(result.status == command.expectedStatus,
                            "\(command) does not run as written: `\(line)` exited \(result.status), the text implies \(command.expectedStatus): \(result.stderr.suffix(800))")
                    if session.requestName == nil, result.status == 0, line.hasPrefix("wmctl request submit ") {
                        session.requestName = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    }
                }
            }
        }
        #expect(ran > 40, "only \(ran) command lines ran")
    }
}
