import Foundation

/// What the process costs: CPU time (getrusage) and resident memory (/proc/self/status).
enum ProcessStats {
    /// User + system CPU seconds of the whole process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Bytes glibc's malloc holds free in all its arenas (`malloc_info`'s totals of fast and regular free chunks):
    /// freed memory it kept instead of returning it to the system (RSS once touched, though no object uses it).
    /// 0 when unavailable. `malloc_info` is looked up at run time: Swift's Glibc module does not import malloc.h.
    static func mallocFreeBytes() -> Int {
        typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
        guard let symbol = dlsym(nil, "malloc_info") else { return 0 }
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return 0 }
        _ = unsafeBitCast(symbol, to: MallocInfo.self)(0, stream)
        fclose(stream)
        defer { free(buffer) }
        guard let buffer else { return 0 }
        // The totals over every arena follow the last <heap> element.
        let totals = String(cString: buffer).components(separatedBy: "</heap>").last ?? ""
        return totals.split(separator: "\n").filter { $0.contains("<total type=\"fast\"") || $0.contains("<total type=\"rest\"") }
            .compactMap { line in line.split(separator: "\"").dropFirst(5).first.flatMap { Int($0) } }
            .reduce(0, +)
    }

    /// Resident set size in bytes (`VmRSS`), 0 when unavailable.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}
