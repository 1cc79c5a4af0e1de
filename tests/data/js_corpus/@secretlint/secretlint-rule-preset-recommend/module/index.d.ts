import { SecretLintRulePresetCreator } from "@secretlint/types";
export declare const rules: import("@secretlint/types").SecretLintRuleCreator<import("@secretlint/secretlint-rule-aws").Options>[];
export type Options = {};
export declare const creator: SecretLintRulePresetCreator<Options>;
//# sourceMappingURL=index.d.ts.map