/**
 * The "why" panels: short passages from kata 13 (../shared/kata/013_finetuning_embedding_models.md) and the
 * Chorus integration notes, one per step of the walkthrough. Quoted closely so the lab teaches the kata.
 */
export type StepId = 'data' | 'configure' | 'train' | 'evaluate';

export interface StepText {
  id: StepId;
  number: number;
  title: string;
  /** one line under the step title */
  lead: string;
  /** the "why" panel: paragraphs of plain text */
  why: string[];
}

export const steps: StepText[] = [
  {
    id: 'data',
    number: 1,
    title: 'Data',
    lead: 'Extract the training data from your corpus of documents.',
    why: [
      'Pre-trained models are trained on generic data and lack the notion of similarity of a particular domain. ' +
        'For the query "gaming mouse pad" a pre-trained model returned game pads, because both phrases share tokens from "game" and "pad"; ' +
        'for "microsoft office" it returned printers named "OfficeJet".',
      "Fine-tuning adapts the model to the domain's vocabulary. It starts from data: the product corpus, queries (from a query log, or " +
        'generated from the products as the kata does with a T5 model), and, for supervised training or to measure the result, relevance judgments.',
    ],
  },
  {
    id: 'configure',
    number: 2,
    title: 'Configure',
    lead: 'Choose the model and its training parameters.',
    why: [
      'Unsupervised training needs no annotation. Pseudo labelling as in GPL: for each query, related products are selected with the ' +
        'pre-trained model, then a cross-encoder estimates the relevance of each more precisely. The cross-encoder reads the query and the ' +
        'product text together, so it is more accurate but too expensive to search with — it only teaches the faster embedding model.',
      'Without a cross-encoder, the query and the product it was generated from form a positive pair (GenQ). Supervised training uses the ' +
        'judged query–product pairs directly, with mined hard negatives, and keeps a share of the queries aside for validation.',
    ],
  },
  {
    id: 'train',
    number: 3,
    title: 'Train & monitor',
    lead: 'Run the fine-tuning job and watch it.',
    why: [
      'Fine-tuning can be time-consuming. While the job runs, monitor it: follow the loss and the learning rate, read the log and make sure ' +
        'everything runs smoothly.',
      'The kata submits the job to cloud GPUs; here it runs in your browser, on WebGPU when available. Pausing saves a checkpoint, so a run ' +
        'can continue after a reload.',
    ],
  },
  {
    id: 'evaluate',
    number: 4,
    title: 'Evaluate & integrate',
    lead: 'Compare search before and after, then download the model for Chorus.',
    why: [
      'Relevance judgments measure whether fine-tuning helped: nDCG@10 and MRR@10 reward relevant products at the top, Recall@k counts how ' +
        'many relevant products are found at all.',
      'Once fine-tuning is complete, download the model and integrate it into Chorus as a replacement: the embeddings service serves it on ' +
        "/ftbert/text/, and Solr's finetuned_product_vector field must have the model's dimension.",
    ],
  },
];

export const stepById = (id: StepId): StepText => steps.find((s) => s.id === id)!;

/** What is being tuned: the text model (served on /ftbert/) or CLIP (its text tower on /ftclip/). */
export type WhyFamily = 'text' | 'clip';

// Steps 2 and 4 differ for CLIP: its training pairs come from the catalogue's own text–image links (there is
// no cross-encoder for CLIP), the metrics score text→image retrieval, and the integration puts image vectors
// (computed offline, the service has no image route) in another Solr field and queries on /ftclip/.
const clipWhy: Partial<Record<StepId, string[]>> = {
  configure: [
    'For text-to-image retrieval CLIP is one of the most popular models. There is no model like a cross-encoder that clearly ' +
      'outperforms CLIP, so instead of pseudo labels the fine-tuning uses the connections already in the catalogue: pairs of product ' +
      "text attributes and product images. The model learns to map a product's attributes close to its image, and texts that describe " +
      'other products away from it (the other images of a batch are its negatives).',
    'Supervised training pairs each judged query with the images of the products rated relevant. Locking a tower keeps it as it was: ' +
      'with the image tower locked, the image vectors already indexed in Solr stay valid and only the query side changes.',
  ],
  evaluate: [
    'Relevance judgments measure whether fine-tuning helped: each judged query is embedded by the text tower and searched among the ' +
      'product images; nDCG@10 and MRR@10 reward relevant products at the top, Recall@k counts how many are found at all.',
    'Once fine-tuning is complete, download the model and integrate it into Chorus as a replacement: image vectors are computed offline ' +
      "with the image tower and indexed in Solr's finetuned_product_image_vector field, and the embeddings service serves the text tower " +
      "on /ftclip/text/ for the query vectors. The field must have the model's projection dimension.",
  ],
};

/** The "why" panel of a step for the model family being tuned. */
export const whyFor = (id: StepId, family: WhyFamily): string[] => (family === 'clip' && clipWhy[id]) || stepById(id).why;

/** The kata's two example queries, offered in the search playground. */
export const exampleQueries = ['gaming mouse pad', 'microsoft office'];
