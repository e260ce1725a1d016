import Foundation

/// Turns each top-level element of a report into model values, following WMCore's `XMLParser.py`
/// handlers (`fileHandler`, `inputFileHandler`, `errorHandler`, `perfRepHandler`, …).
struct ReportAssembler {
    /// Our wrapper's top-level element (not written by CMSSW).
    static let wrapperElement = "WMWrapper"
    /// A step section of a multi-step job's report: the root's name, again, one level down.
    static let stepSectionElement = "FrameworkJobReport"
    /// The child of `File` that marks an output a StepChain step dropped (not written by CMSSW).
    static let keepOutputElement = "KeepOutput"

    private let source: String
    private var report = FrameworkJobReport()
    private var wrapperNode: ElementNode?
    /// The step sections read so far (a multi-step job's report).
    private var stepSections: [FrameworkJobReport] = []

    init(source: String) { self.source = source }

    /// The report, with the wrapper element (if any) applied last so that its step status wins over
    /// the status the errors set.
    func finishedReport() throws(ReportReadError) -> FrameworkJobReport {
        var finished = report
        if !stepSections.isEmpty {
            finished.steps = []
            finished.setSteps(stepSections)
        }
        guard let wrapperNode else { return finished }
        finished.wrapper = try wrapperInfo(wrapperNode, current: report.wrapper)
        return finished
    }

    /// A step section (`FrameworkJobReport` inside the root): its children are assembled as a report of their own.
    /// At most `ReportLimits.stepSections` of them; a section inside a section is refused by the tree builder.
    private mutating func addStepSection(_ node: ElementNode) throws(ReportReadError) {
        guard stepSections.count < ReportLimits.stepSections else {
            throw .invalidValue(source: source, line: node.line, field: "FrameworkJobReport step sections",
                                value: String(stepSections.count + 1), expected: "at most \(ReportLimits.stepSections)")
        }
        var section = ReportAssembler(source: source)
        for child in node.children { try section.add(topLevel: child) }
        stepSections.append(try section.finishedReport())
    }

    mutating func add(topLevel node: ElementNode) throws(ReportReadError) {
        switch node.name {
        case "File": report.outputFiles.append(try outputFile(node))
        case "InputFile": report.inputFiles.append(try inputFile(node))
        case "AnalysisFile": report.analysisFiles.append(analysisFile(node))
        case "PerformanceReport": report.performanceSummaries += try performanceSummaries(node)
        case "FrameworkError": report.addError(try frameworkError(node))
        case "SkippedFile": report.skippedFiles.append(fileReference(attributesOf: node))
        case "FallbackAttempt": report.fallbackFiles.append(fileReference(attributesOf: node))
        case "SkippedEvent": if let event = try skippedEvent(node) { report.skippedEvents.append(event) }
        case Self.wrapperElement: wrapperNode = node
        case Self.stepSectionElement: try addStepSection(node)
        default: report.parameters[node.name] = node.text
        }
    }

    // MARK: Files

    private func inputFile(_ node: ElementNode) throws(ReportReadError) -> InputFile {
        let typeText = try requiredText(node, "InputType")
        guard let inputType = InputFileType(rawValue: typeText) else {
            throw .invalidValue(source: source, line: node.child("InputType")?.line, field: "InputFile/InputType",
                                value: typeText, expected: "primaryFiles, secondaryFiles or mixingFiles")
        }
        return InputFile(
            lfn: try requiredText(node, "LFN"), pfn: try requiredText(node, "PFN"),
            guid: try requiredText(node, "GUID"), catalog: try requiredText(node, "Catalog"),
            moduleLabel: try requiredText(node, "ModuleLabel"), inputType: inputType,
            inputSourceClass: try requiredText(node, "InputSourceClass"),
            events: try requiredInt(node, "EventsRead", in: ReportLimits.events), runs: try runs(node))
    }

    private func outputFile(_ node: ElementNode) throws(ReportReadError) -> OutputFile {
        OutputFile(
            moduleLabel: try requiredText(node, "ModuleLabel"), lfn: try requiredText(node, "LFN"),
            pfn: try requiredText(node, "PFN"), guid: try requiredText(node, "GUID"),
            catalog: try requiredText(node, "Catalog"), outputModuleClass: try requiredText(node, "OutputModuleClass"),
            events: try requiredInt(node, "TotalEvents", in: ReportLimits.events), branchHash: try requiredText(node, "BranchHash"),
            dataType: node.child("DataType")?.text, runs: try runs(node), inputs: try inputs(node),
            size: try optionalInt(node, "Size", in: ReportLimits.fileSize), adler32: node.child("Adler32")?.text, cksum: node.child("Cksum")?.text,
            kept: try keepOutput(node))
    }

    /// `File/KeepOutput`: absent or `true` is a kept output, `false` one a StepChain step dropped.
    private func keepOutput(_ file: ElementNode) throws(ReportReadError) -> Bool {
        guard let element = file.child(Self.keepOutputElement) else { return true }
        switch element.text {
        case "true": return true
        case "false": return false
        default:
            throw .invalidValue(source: source, line: element.line, field: "File/\(Self.keepOutputElement)",
                                value: element.text, expected: "true or false")
        }
    }

    /// `Inputs/Input/{LFN,PFN}`: every child of `Inputs` is an input and needs both.
    private func inputs(_ file: ElementNode) throws(ReportReadError) -> [FileReference] {
        var references: [FileReference] = []
        for inputs in file.children(named: "Inputs") {
            for input in inputs.children {
                references.append(FileReference(lfn: try requiredText(input, "LFN"), pfn: try requiredText(input, "PFN")))
            }
        }
        return references
    }

    /// `Runs/Run ID/LumiSection ID [NEvents]`; a Run without ID and a LumiSection without ID are skipped,
    /// a non-integer NEvents becomes nil (as in WMCore), a repeated Run ID replaces the earlier one. Run and lumi
    /// numbers must lie in `ReportLimits.runOrLumi`, an integer NEvents in `ReportLimits.events`.
    private func runs(_ file: ElementNode) throws(ReportReadError) -> RunLumiMap {
        var map = RunLumiMap()
        for runs in file.children(named: "Runs") {
            for run in runs.children(named: "Run") {
                guard let runText = run.attributes["ID"] else { continue }
                let runNumber = try integer(runText, field: "Run ID", line: run.line, in: ReportLimits.runOrLumi)
                var lumis: [(lumi: Int, events: Int?)] = []
                for lumi in run.children {
                    guard let lumiText = lumi.attributes["ID"] else { continue }
                    let lumiNumber = try integer(lumiText, field: "Run \(runNumber) LumiSection ID", line: lumi.line,
                                                 in: ReportLimits.runOrLumi)
                    let events = try lumi.attributes["NEvents"].flatMap { (text: String) throws(ReportReadError) in
                        try eventCount(text, field: "Run \(runNumber) LumiSection \(lumiNumber) NEvents", line: lumi.line)
                    }
                    lumis.append((lumiNumber, events))
                }
                map.setRun(runNumber, lumis: lumis)
            }
        }
        return map
    }

    private func analysisFile(_ node: ElementNode) -> AnalysisFile {
        var fileName: String?
        var attributes: [String: String?] = [:]
        for child in node.children {
            if child.name == "FileName" { fileName = child.text } else { attributes[child.name] = .some(child.attributes["Value"]) }
        }
        return AnalysisFile(fileName: fileName, attributes: attributes)
    }

    private func fileReference(attributesOf node: ElementNode) -> FileReference {
        FileReference(lfn: node.attributes["Lfn"], pfn: node.attributes["Pfn"])
    }

    // MARK: Errors, events, wrapper

    private func frameworkError(_ node: ElementNode) throws(ReportReadError) -> FrameworkError {
        let code = try node.attributes["ExitStatus"].map { (text: String) throws(ReportReadError) in
            try integer(text, field: "FrameworkError ExitStatus", line: node.line)
        }
        return FrameworkError(exitStatus: code ?? FrameworkError.defaultExitStatus,
                              type: node.attributes["Type"] ?? FrameworkError.defaultType, details: node.text)
    }

    /// A `SkippedEvent` without `Run` or `Event` is ignored, as in WMCore.
    private func skippedEvent(_ node: ElementNode) throws(ReportReadError) -> SkippedEvent? {
        guard let run = node.attributes["Run"], let event = node.attributes["Event"] else { return nil }
        return SkippedEvent(run: try integer(run, field: "SkippedEvent Run", line: node.line, in: ReportLimits.runOrLumi),
                            event: try integer(event, field: "SkippedEvent Event", line: node.line, in: ReportLimits.eventNumber))
    }

    private func wrapperInfo(_ node: ElementNode, current: WrapperInfo) throws(ReportReadError) -> WrapperInfo {
        func int(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(ReportReadError) -> Int? {
            try node.attributes[name].map { (text: String) throws(ReportReadError) in
                try integer(text, field: "\(Self.wrapperElement) \(name)", line: node.line, in: range)
            }
        }
        func seconds(_ name: String) throws(ReportReadError) -> Double? {
            guard let text = node.attributes[name] else { return nil }
            guard let value = Double(text), value.isFinite else {
                throw .invalidValue(source: source, line: node.line, field: "\(Self.wrapperElement) \(name)",
                                    value: text, expected: "seconds since the epoch")
            }
            return value
        }
        return WrapperInfo(stepName: node.attributes["StepName"] ?? current.stepName,
                           stepStatus: try int("StepStatus") ?? current.stepStatus,
                           siteName: node.attributes["SiteName"], startTime: try seconds("StartTime"),
                           stopTime: try seconds("StopTime"), wrapperExitCode: try int("ExitCode"),
                           jobName: node.attributes["JobName"], retry: try int("Retry", in: ReportLimits.retry))
    }

    // MARK: Performance

    /// Every child of `PerformanceReport` is a summary (`PerformanceSummary` or `PerformanceModule`);
    /// each `Metric` child needs `Name` and `Value`; selected storage statistics must be numbers.
    private func performanceSummaries(_ node: ElementNode) throws(ReportReadError) -> [PerformanceSummary] {
        var summaries: [PerformanceSummary] = []
        for summaryNode in node.children {
            var metrics: [NamedMetric] = []
            for metric in summaryNode.children {
                guard let name = metric.attributes["Name"] else {
                    throw .missingAttribute(source: source, line: metric.line, element: metric.name, attribute: "Name")
                }
                guard let value = metric.attributes["Value"] else {
                    throw .missingAttribute(source: source, line: metric.line, element: metric.name, attribute: "Value")
                }
                if let number = Double(Trimming.trimmed(value, .whitespaces)), !number.isFinite {
                    throw .invalidValue(source: source, line: metric.line,
                                        field: "PerformanceReport \(summaryNode.attributes["Metric"] ?? summaryNode.name) \(name)",
                                        value: value, expected: "a finite number (or text)")
                }
                metrics.append(NamedMetric(name: name, value: value))
            }
            let summary = PerformanceSummary(metric: summaryNode.attributes["Metric"],
                                             module: summaryNode.attributes["Module"], metrics: metrics)
            if summary.metric == "StorageStatistics" {
                do { _ = try StorageStatistics.selectedValues(metrics) } catch {
                    throw .invalidValue(source: source, line: summaryNode.line, field: "StorageStatistics \(error.name)",
                                        value: error.value, expected: "a number")
                }
            }
            summaries.append(summary)
        }
        return summaries
    }

    // MARK: Field helpers

    private func requiredText(_ node: ElementNode, _ child: String) throws(ReportReadError) -> String {
        guard let element = node.child(child) else {
            throw .missingElement(source: source, line: node.line, parent: node.name, child: child)
        }
        return element.text
    }

    private func requiredInt(_ node: ElementNode, _ child: String, in range: ClosedRange<Int>) throws(ReportReadError) -> Int {
        let text = try requiredText(node, child)
        return try integer(text, field: "\(node.name)/\(child)", line: node.child(child)?.line, in: range)
    }

    private func optionalInt(_ node: ElementNode, _ child: String, in range: ClosedRange<Int>) throws(ReportReadError) -> Int? {
        guard node.child(child) != nil else { return nil }
        return try requiredInt(node, child, in: range)
    }

    /// The integer `text` holds, refused unless it lies in `range` (the whole `Int` range by default).
    private func integer(_ text: String, field: String, line: Int?,
                         in range: ClosedRange<Int> = Int.min...Int.max) throws(ReportReadError) -> Int {
        let expected = range == Int.min...Int.max ? "an integer" : ReportLimits.describe(range)
        guard let value = Int(Trimming.trimmed(text, .whitespaces)), range.contains(value) else {
            throw .invalidValue(source: source, line: line, field: field, value: text, expected: expected)
        }
        return value
    }

    /// A lumi's `NEvents`: text that is not an integer is no count (WMCore's rule), but an integer — including one
    /// too large for `Int` — must lie in `ReportLimits.events`.
    private func eventCount(_ text: String, field: String, line: Int?) throws(ReportReadError) -> Int? {
        let trimmed = Trimming.trimmed(text, .whitespaces)
        let digits = trimmed.hasPrefix("-") ? trimmed.utf8.dropFirst() : trimmed.utf8[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return try integer(text, field: field, line: line, in: ReportLimits.events)
    }
}
