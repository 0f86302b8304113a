/**
 * What a session remembers about the device that logged in: a short label for the user agent and
 * the client IP, both bounded, so a hostile header cannot bloat the store and the device list
 * shows something a person can read ("Firefox 132 on Linux") rather than a 300-character string.
 */
export interface DeviceInfo {
  /** A readable label derived from `User-Agent`, at most {@link MAX_USER_AGENT_LABEL_LENGTH} characters. */
  userAgent: string;
  /** The client address as the adapter saw it, at most 45 characters (an IPv6 text form), or "". */
  ip: string;
}

export const MAX_USER_AGENT_LABEL_LENGTH = 64;
const MAX_IP_LENGTH = 45;

const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, "Edge"],
  [/\bOPR\/(\d+)/, "Opera"],
  [/\bSamsungBrowser\/(\d+)/, "Samsung Internet"],
  [/\bFirefox\/(\d+)/, "Firefox"],
  [/\bFxiOS\/(\d+)/, "Firefox"],
  [/\bCriOS\/(\d+)/, "Chrome"],
  [/\bHeadlessChrome\/(\d+)/, "Headless Chrome"],
  [/\bChrom(?:e|ium)\/(\d+)/, "Chrome"],
  [/\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, "Safari"],
  [/\bcurl\/([\d.]+)/, "curl"],
  [/\bpython-requests\/([\d.]+)/, "Python requests"],
  [/\bnode(?:-fetch)?\/?([\d.]*)/i, "Node.js"],
];

const SYSTEMS: Array<[RegExp, string]> = [
  [/\b(?:iPhone|iPad|iPod)\b/, "iOS"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

/**
 * Turns a `User-Agent` header into a short label such as "Chrome 131 on macOS". Unknown agents
 * keep their first printable characters, cut to the limit; a missing header gives "Unknown".
 */
export function describeUserAgent(header: string | null | undefined): string {
  const ua = (header ?? "").slice(0, 512);
  if (!ua.trim()) return "Unknown";
  let browser: string | undefined;
  for (const [pattern, name] of BROWSERS) {
    const match = pattern.exec(ua);
    if (match) {
      browser = match[1] ? `${name} ${match[1]}` : name;
      break;
    }
  }
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1];
  const label = browser ? (system ? `${browser} on ${system}` : browser) : ua.replace(/[^\x20-\x7e]/g, "").trim() || "Unknown";
  return label.slice(0, MAX_USER_AGENT_LABEL_LENGTH);
}

/** Keeps an IP only if it looks like one (hex digits, dots, colons), bounded; else "". */
export function sanitizeIp(ip: string | null | undefined): string {
  const value = (ip ?? "").trim();
  return value.length <= MAX_IP_LENGTH && /^[0-9A-Fa-f:.]+$/.test(value) ? value : "";
}
