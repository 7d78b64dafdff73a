import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  generates: {
    "services/node/src/graphql/generated/resolvers.ts": {
      plugins: ["typescript", "typescript-resolvers"],
      config: {
        contextType: "../context.ts#GraphQLContext",
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", JSON: "unknown" },
        maybeValue: "T | null | undefined",
        // Domain records the resolvers of these types start from (timeline and partner load lazily).
        mappers: {
          Referral: "../../domain/types.ts#ReferralRecord",
          ConsentRecord: "../../domain/consents.ts#ConsentRecord as ConsentRecordModel",
          ConsentRevocation: "../../domain/consents.ts#RevocationRecord",
          DisclosurePreview: "../../domain/referrals.ts#DisclosurePreview as DisclosurePreviewModel",
          SubjectErasure: "../../domain/subject-rights.ts#SubjectErasureResult",
        },
      },
    },
  },
};
export default config;
