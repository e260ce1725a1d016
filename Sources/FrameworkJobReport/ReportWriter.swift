import Foundation

extension FrameworkJobReport {
    /// Top-level element names the reader handles itself; a parameter may not use them.
    static let reservedElementNames: Set<String> = [
        "File", "InputFile", "AnalysisFile", "PerformanceReport", "FrameworkError", "SkippedFile",
        "FallbackAttempt", "SkippedEvent", ReportAssembler.wrapperElement, ReportAssembler.stepSectionElement,
    ]

    /// The report as CMSSW-format XML (UTF-8) that `FrameworkJobReportReader` reads back to an equal report.
    ///
    /// Element text is stripped on reading (as WMCore does), so leading/trailing whitespace of texts
    /// such as error details does not survive. Size and checksums go in `Size`/`Adler32`/`Cksum`
    /// children of `File`, and the wrapper fields in a final `WMWrapper` element, neither of which
    /// CMSSW writes (WMCore would file the latter under parameters).
    public func xmlData() throws(ReportWriteError) -> Data { Data(try xmlString().utf8) }

    /// The report as CMSSW-format XML text; see `xmlData()`.
    public func xmlString() throws(ReportWriteError) -> String {
        var xml = XMLBuilder()
        xml.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        xml.line("<FrameworkJobReport>")
        for step in steps {
            xml.line("<FrameworkJobReport>")
            try step.writeElements(into: &xml)
            xml.line("</FrameworkJobReport>")
        }
        try ownElements.writeElements(into: &xml)
        xml.line("</FrameworkJobReport>")
        return xml.output
    }

    /// Writes the report's elements (not its step sections), its `WMWrapper` last.
    private func writeElements(into xml: inout XMLBuilder) throws(ReportWriteError) {
        for file in inputFiles { try xml.inputFile(file) }
        for file in outputFiles { try xml.outputFile(file) }
        for error in errors {
            try xml.open("FrameworkError", ["ExitStatus": String(error.exitStatus), "Type": error.type], inline: true)
            try xml.text(error.details, field: "FrameworkError")
            xml.line("</FrameworkError>")
        }
        for file in skippedFiles { try xml.fileReference("SkippedFile", file) }
        for file in fallbackFiles { try xml.fileReference("FallbackAttempt", file) }
        for event in skippedEvents {
            try xml.empty("SkippedEvent", ["Run": String(event.run), "Event": String(event.event)])
        }
        for file in analysisFiles { try xml.analysisFile(file) }
        if !performanceSummaries.isEmpty { try xml.performance(performanceSummaries) }
        for (name, text) in parameters.sorted(by: { $0.key < $1.key }) {
            guard XMLText.isPlainName(name), !Self.reservedElementNames.contains(name) else {
                throw .invalidParameterName(name)
            }
            try xml.leaf(name, text)
        }
        try xml.wrapper(wrapper)
    }
}

/// Accumulates the XML text of a report.
struct XMLBuilder {
    /// The text so far.
    private(set) var output = ""

    mutating func line(_ text: String) { output += text; output += "\n" }

    mutating func text(_ value: String, field: String) throws(ReportWriteError) {
        output += try XMLText.escapeText(value, field: field)
    }

    /// `<name a="v"…>` with attributes in sorted order; `inline` leaves the line open for text.
    mutating func open(_ name: String, _ attributes: [String: String?] = [:], inline: Bool = false) throws(ReportWriteError) {
        output += "<\(name)"
        try appendAttributes(attributes, element: name)
        output += ">"
        if !inline { output += "\n" }
    }

    mutating func empty(_ name: String, _ attributes: [String: String?]) throws(ReportWriteError) {
        output += "<\(name)"
        try appendAttributes(attributes, element: name)
        output += "/>\n"
    }

    mutating func leaf(_ name: String, _ value: String) throws(ReportWriteError) {
        output += "<\(name)>"
        try text(value, field: name)
        output += "</\(name)>\n"
    }

    private mutating func appendAttributes(_ attributes: [String: String?], element: String) throws(ReportWriteError) {
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
            guard let value else { continue }
            output += " \(key)=\"\(try XMLText.escapeAttribute(value, field: "\(element) \(key)"))\""
        }
    }

    mutating func inputFile(_ file: InputFile) throws(ReportWriteError) {
        line("<InputFile>")
        for (name, value) in [("LFN", file.lfn), ("PFN", file.pfn), ("Catalog", file.catalog),
                              ("ModuleLabel", file.moduleLabel), ("GUID", file.guid),
                              ("InputType", file.inputType.rawValue), ("InputSourceClass", file.inputSourceClass),
                              ("EventsRead", String(file.events))] {
            try leaf(name, value)
        }
        runs(file.runs)
        line("</InputFile>")
    }

    mutating func outputFile(_ file: OutputFile) throws(ReportWriteError) {
        line("<File>")
        for (name, value) in [("LFN", file.lfn), ("PFN", file.pfn), ("Catalog", file.catalog),
                              ("ModuleLabel", file.moduleLabel), ("GUID", file.guid),
                              ("OutputModuleClass", file.outputModuleClass), ("TotalEvents", String(file.events))] {
            try leaf(name, value)
        }
        if let dataType = file.dataType { try leaf("DataType", dataType) }
        try leaf("BranchHash", file.branchHash)
        runs(file.runs)
        line("<Inputs>")
        for input in file.inputs {
            line("<Input>")
            try leaf("LFN", input.lfn ?? "")
            try leaf("PFN", input.pfn ?? "")
            line("</Input>")
        }
        line("</Inputs>")
        if let size = file.size { try leaf("Size", String(size)) }
        if let adler32 = file.adler32 { try leaf("Adler32", adler32) }
        if let cksum = file.cksum { try leaf("Cksum", cksum) }
        if !file.kept { try leaf(ReportAssembler.keepOutputElement, "false") }
        line("</File>")
    }

    mutating func runs(_ runs: RunLumiMap) {
        line("<Runs>")
        for run in runs.runs {
            line("<Run ID=\"\(run)\">")
            for lumi in runs.lumis(inRun: run) {
                if case .some(.some(let events)) = runs.events(run: run, lumi: lumi) {
                    line("   <LumiSection ID=\"\(lumi)\" NEvents=\"\(events)\"/>")
                } else {
                    line("   <LumiSection ID=\"\(lumi)\"/>")
                }
            }
            line("</Run>")
        }
        line("</Runs>")
    }

    mutating func fileReference(_ element: String, _ file: FileReference) throws(ReportWriteError) {
        try empty(element, ["Lfn": file.lfn, "Pfn": file.pfn])
    }

    mutating func analysisFile(_ file: AnalysisFile) throws(ReportWriteError) {
        line("<AnalysisFile>")
        if let fileName = file.fileName { try leaf("FileName", fileName) }
        for (name, value) in file.attributes.sorted(by: { $0.key < $1.key }) {
            guard XMLText.isPlainName(name), name != "FileName" else { throw .invalidParameterName(name) }
            try empty(name, ["Value": value])
        }
        line("</AnalysisFile>")
    }

    mutating func performance(_ summaries: [PerformanceSummary]) throws(ReportWriteError) {
        line("<PerformanceReport>")
        for summary in summaries {
            let element = summary.module == nil ? "PerformanceSummary" : "PerformanceModule"
            try open(element, ["Metric": summary.metric, "Module": summary.module])
            for metric in summary.metrics { try empty("Metric", ["Name": metric.name, "Value": metric.value]) }
            line("</\(element)>")
        }
        line("</PerformanceReport>")
    }

    mutating func wrapper(_ info: WrapperInfo) throws(ReportWriteError) {
        try empty(ReportAssembler.wrapperElement, [
            "StepName": info.stepName, "StepStatus": String(info.stepStatus), "SiteName": info.siteName,
            "StartTime": info.startTime.map { String($0) }, "StopTime": info.stopTime.map { String($0) },
            "ExitCode": info.wrapperExitCode.map { String($0) }, "JobName": info.jobName,
            "Retry": info.retry.map { String($0) },
        ])
    }
}
