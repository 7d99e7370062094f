import { B } from "./b";
export const A = B;
