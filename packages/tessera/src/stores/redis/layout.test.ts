import { describe, expect, it } from "vitest";
import { classifyKey, keyLayout } from "./layout.js";

describe("classifyKey", () => {
  const layout = keyLayout("ts:");
  const sessionId = `AB${"c".repeat(24)}`;

  it("names every key the layout writes, the undo marker a rotation leaves included", () => {
    expect(classifyKey("ts:", layout.sessionKey(sessionId))).toBe("session");
    expect(classifyKey("ts:", layout.undoMarkerKey(sessionId))).toBe("undoMarker");
    expect(classifyKey("ts:", layout.userIndexKey("AB"))).toBe("userIndex");
    expect(classifyKey("ts:", layout.legacyIndexKey("AB"))).toBe("legacyIndex");
  });

  it("leaves any other key unnamed", () => {
    for (const key of [
      "ts:{AB}short",
      "ts:{AB}short:r",
      `ts:{AB}${"c".repeat(24)}:x`,
      `ts:{AB}${"c".repeat(23)}!:r`,
      `other:{AB}${"c".repeat(24)}`,
      "ts:{ABC}:u",
    ]) {
      expect(classifyKey("ts:", key), key).toBeUndefined();
    }
  });
});
